package psr.consensus.core;

import java.util.Objects;

/**
 * A client's request to execute {@code command} once.
 *
 * @param clientId      the client's id, never 0; one client has at most one request outstanding
 * @param requestNumber increases by one with every new request of that client, from 1; a retry reuses it
 * @param command       the state machine command; owned by the request, never modified
 */
public record Request(long clientId, long requestNumber, byte[] command) {
    public Request {
        if (clientId == 0) throw new IllegalArgumentException("client id must not be 0 (reserved)");
        if (requestNumber < 1) throw new IllegalArgumentException("request number must be >= 1, was " + requestNumber);
        Objects.requireNonNull(command, "command");
    }
}
