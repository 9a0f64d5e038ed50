package psr.consensus.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * The state after applying every operation up to {@code op}: the state machine's snapshot and the client
 * table, so that a replica can drop its log up to {@code op} and a lagging one can start from here.
 *
 * @param op       the last operation the state includes
 * @param checksum the {@link LogEntry#checksum()} of the entry at {@code op}: the entry after the checkpoint names it
 *                 as its parent, so the log chain continues across the checkpoint
 * @param state    the replica's encoding of client table and state machine snapshot; owned by the checkpoint
 */
public record Checkpoint(long op, long checksum, byte[] state) {
    public Checkpoint {
        if (op < 1) throw new IllegalArgumentException("checkpoint op must be >= 1, was " + op);
        Objects.requireNonNull(state, "state");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Checkpoint c && c.op == op && c.checksum == checksum && Arrays.equals(c.state, state);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(op) * 31 + Arrays.hashCode(state);
    }

    @Override
    public String toString() {
        return "Checkpoint[op=" + op + ", " + state.length + "B, checksum=" + Long.toHexString(checksum) + "]";
    }
}
