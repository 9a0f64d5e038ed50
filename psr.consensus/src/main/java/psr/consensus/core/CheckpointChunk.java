package psr.consensus.core;

import java.util.Arrays;

/**
 * One piece of a {@link Checkpoint} in transit: a checkpoint travels in chunks of at most the message budget, so
 * a part's state is limited by memory and disk, not by what one transport message carries.
 *
 * @param op          the checkpoint's op
 * @param checksum    the checksum of the checkpoint's last entry (see {@link Checkpoint#checksum()})
 * @param stateCrc    CRC-32C of the whole state, checked when the last chunk has arrived
 * @param totalLength the state's length in bytes
 * @param offset      where {@code bytes} starts in the state
 * @param bytes       this chunk's bytes; owned by the chunk
 */
public record CheckpointChunk(long op, long checksum, int stateCrc, int totalLength, int offset, byte[] bytes) {

    public CheckpointChunk {
        if (op < 1) throw new IllegalArgumentException("checkpoint op must be >= 1, was " + op);
        if (totalLength < 0 || offset < 0 || bytes == null || (long) offset + bytes.length > totalLength) {
            throw new IllegalArgumentException("checkpoint chunk at " + offset + " of " + (bytes == null ? -1 : bytes.length)
                    + " bytes does not fit a state of " + totalLength + " bytes");
        }
    }

    /** The chunk of {@code c} at {@code offset}, at most {@code maxBytes} long (at least one byte unless the state is empty). */
    public static CheckpointChunk of(Checkpoint c, int offset, int maxBytes) {
        return of(c, crc(c.state()), offset, maxBytes);
    }

    /**
     * As {@link #of(Checkpoint, int, int)} with the state's CRC-32C already known ({@code stateCrc}): a sender cutting
     * many chunks of one checkpoint computes it once, not once per chunk (which made sending quadratic in the size).
     */
    static CheckpointChunk of(Checkpoint c, int stateCrc, int offset, int maxBytes) {
        int from = Math.min(offset, c.state().length);
        int to = (int) Math.min(c.state().length, (long) from + Math.max(1, maxBytes));
        return new CheckpointChunk(c.op(), c.checksum(), stateCrc, c.state().length, from, Arrays.copyOfRange(c.state(), from, to));
    }

    static int crc(byte[] state) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(state);
        return (int) crc.getValue();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CheckpointChunk c && c.op == op && c.checksum == checksum && c.stateCrc == stateCrc
                && c.totalLength == totalLength && c.offset == offset && Arrays.equals(c.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(op) * 31 + offset;
    }

    @Override
    public String toString() {
        return "CheckpointChunk[op=" + op + ", " + offset + "+" + bytes.length + " of " + totalLength + "B]";
    }
}
