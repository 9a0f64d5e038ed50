package psr.consensus.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * One operation in the replicated log.
 *
 * @param view          the view in which the primary first prepared the operation
 * @param op            the op-number: the operation's position in the log, from 1
 * @param clientId      the client that asked for it (never 0)
 * @param requestNumber the client's request number, from 1, for at-most-once execution
 * @param command       the state machine command; owned by the entry, never modified
 */
public record LogEntry(long view, long op, long clientId, long requestNumber, byte[] command) {

    public LogEntry {
        if (op < 1) throw new IllegalArgumentException("op-number must be >= 1, was " + op);
        if (view < 0) throw new IllegalArgumentException("view must be >= 0, was " + view);
        if (clientId == 0) throw new IllegalArgumentException("client id 0 is reserved");
        if (requestNumber < 1) throw new IllegalArgumentException("request number must be >= 1, was " + requestNumber);
        Objects.requireNonNull(command, "command");
    }

    /** The same operation placed at another position (used only when a primary appends). */
    public boolean sameContent(LogEntry other) {
        return view == other.view && op == other.op && clientId == other.clientId
                && requestNumber == other.requestNumber && Arrays.equals(command, other.command);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogEntry e && sameContent(e);
    }

    @Override
    public int hashCode() {
        return Objects.hash(view, op, clientId, requestNumber, Arrays.hashCode(command));
    }

    @Override
    public String toString() {
        return "LogEntry[op=" + op + ", view=" + view + ", client=" + clientId + ", request=" + requestNumber
                + ", command=" + command.length + "B]";
    }
}
