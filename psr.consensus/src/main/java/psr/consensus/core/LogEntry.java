package psr.consensus.core;

import java.util.Arrays;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;

/**
 * One operation in the replicated log. Entries form a hash chain: each names the {@link #checksum()} of the
 * entry before it ({@code parent}), so two logs that hold an entry with the same checksum at the same op
 * hold the same history up to it. A replica accepts an entry only where its parent matches its own log, so a
 * divergent prefix is detected when it would be extended, never acknowledged.
 *
 * @param view          the view in which the primary first prepared the operation
 * @param op            the op-number: the operation's position in the log, from 1
 * @param parent        the checksum of the entry at {@code op - 1} ({@link #ROOT} for op 1)
 * @param clientId      the client that asked for it (never 0)
 * @param requestNumber the client's request number for at-most-once execution: from 1 for a request of a
 *                      registered session, or {@link #REGISTER} for the request that registers the session
 * @param command       the state machine command; owned by the entry, never modified
 */
public record LogEntry(long view, long op, long parent, long clientId, long requestNumber, byte[] command) {

    /** The parent of op 1: the checksum of the empty history. */
    public static final long ROOT = 0x5053525f524f4f54L; // "PSR_ROOT"
    /** The request number of a session registration (see {@link ClientTable}). */
    public static final long REGISTER = 0;
    /** The client id of the group's own entries (its committed configuration), never a real client's. */
    public static final long GROUP = -1;

    public LogEntry {
        if (op < 1) throw new IllegalArgumentException("op-number must be >= 1, was " + op);
        if (view < 0) throw new IllegalArgumentException("view must be >= 0, was " + view);
        if (clientId == 0) throw new IllegalArgumentException("client id 0 is reserved");
        if (requestNumber < 0) throw new IllegalArgumentException("request number must be >= 0 (0 registers), was " + requestNumber);
        Objects.requireNonNull(command, "command");
    }

    /**
     * This entry's checksum, covering its parent and every field: 64 bits from the JDK's CRC-32C and CRC-32 of
     * the same bytes. It guards against accidents (a divergent history, a lost or misdirected write), not
     * against an attacker; the transport authenticates datagrams.
     */
    public long checksum() {
        byte[] header = new byte[40];
        java.nio.ByteBuffer.wrap(header).putLong(parent).putLong(view).putLong(op).putLong(clientId).putLong(requestNumber);
        CRC32C c = new CRC32C();
        c.update(header);
        c.update(command);
        CRC32 d = new CRC32();
        d.update(header);
        d.update(command);
        return c.getValue() << 32 | d.getValue();
    }

    /** True when this entry directly follows {@code previousChecksum} at op-number {@code previousOp + 1}. */
    public boolean follows(long previousOp, long previousChecksum) {
        return op == previousOp + 1 && parent == previousChecksum;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogEntry e && view == e.view && op == e.op && parent == e.parent && clientId == e.clientId
                && requestNumber == e.requestNumber && Arrays.equals(command, e.command);
    }

    @Override
    public int hashCode() {
        return Objects.hash(view, op, parent, clientId, requestNumber, Arrays.hashCode(command));
    }

    @Override
    public String toString() {
        return "LogEntry[op=" + op + ", view=" + view + ", client=" + clientId + ", request=" + requestNumber
                + ", command=" + command.length + "B, checksum=" + Long.toHexString(checksum()) + "]";
    }
}
