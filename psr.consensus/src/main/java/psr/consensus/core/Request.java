package psr.consensus.core;

import java.util.Objects;

/**
 * A client's request to execute {@code command} once.
 *
 * @param clientId      the client's id, never 0; one client has at most one request outstanding
 * @param requestNumber {@link LogEntry#REGISTER} (0) registers the client's session, which must commit before its
 *                      first request; the registration's reply names its op-number, and the session's requests are
 *                      numbered from one above it, increasing by one with every new request; a retry reuses its number
 * @param command       the state machine command; owned by the request, never modified
 */
public record Request(long clientId, long requestNumber, byte[] command) {
    public Request {
        if (clientId == 0 || clientId == LogEntry.GROUP) throw new IllegalArgumentException("client id must not be 0 or -1 (reserved), was " + clientId);
        if (requestNumber < 0) throw new IllegalArgumentException("request number must be >= 0 (0 registers), was " + requestNumber);
        Objects.requireNonNull(command, "command");
    }
}
