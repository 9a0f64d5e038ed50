package psr.consensus.core;

/**
 * A checkpoint being received in chunks. It holds one copy of the state while it assembles (the state machine
 * holds the state in memory anyway); chunks of another checkpoint start it over. Owned by the replica's thread.
 */
final class CheckpointAssembly {

    /** The largest state accepted: a declared length beyond it is not a reason to allocate. */
    static final int MAX_STATE_BYTES = 1 << 30;

    private long op;
    private long checksum;
    private int stateCrc;
    private byte[] state;
    private int received;

    /** The op of the checkpoint being assembled, or 0 when none. */
    long op() {
        return state == null ? 0 : op;
    }

    /** The next byte wanted. */
    int nextOffset() {
        return state == null ? 0 : received;
    }

    /**
     * Takes a chunk; returns the whole checkpoint once its last chunk arrived and the state checks out, else null.
     * A chunk of another checkpoint (or at offset 0) starts over; a chunk at any other offset than the next one
     * is ignored.
     *
     * @throws IllegalArgumentException when the chunk declares a state larger than {@link #MAX_STATE_BYTES}
     */
    Checkpoint accept(CheckpointChunk c) {
        if (c.totalLength() > MAX_STATE_BYTES) {
            throw new IllegalArgumentException("checkpoint at op " + c.op() + " of " + c.totalLength() + " bytes; at most " + MAX_STATE_BYTES);
        }
        if (state == null || c.op() != op || c.checksum() != checksum || c.stateCrc() != stateCrc || c.totalLength() != state.length) {
            if (c.offset() != 0) return null;
            op = c.op();
            checksum = c.checksum();
            stateCrc = c.stateCrc();
            state = new byte[c.totalLength()];
            received = 0;
        }
        if (c.offset() != received) return null;
        System.arraycopy(c.bytes(), 0, state, received, c.bytes().length);
        received += c.bytes().length;
        if (received < state.length) return null;
        byte[] whole = state;
        clear();
        if (CheckpointChunk.crc(whole) != stateCrc) return null; // mixed or damaged chunks: start over
        return new Checkpoint(op, checksum, whole);
    }

    void clear() {
        state = null;
        received = 0;
    }
}
