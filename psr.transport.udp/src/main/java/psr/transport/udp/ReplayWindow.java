package psr.transport.udp;

/**
 * A sliding window of sequence numbers already accepted from one sender incarnation, as in IPsec (RFC 4303
 * section 3.4.3): the highest accepted number and a bitmap of the {@code size} numbers at and below it. A
 * number above the top is new and moves the window; one inside it is new only if its bit is clear; one below
 * it is too old. Used only after the datagram's tag has been verified, so a forgery never moves the window.
 */
final class ReplayWindow {

    private final long[] bits;
    private final int size;
    private long top;

    ReplayWindow(int size) {
        if (size < 64 || size % 64 != 0) {
            throw new IllegalArgumentException("replay window " + size + " must be a positive multiple of 64");
        }
        this.size = size;
        this.bits = new long[size / 64];
    }

    /** Records {@code sequence} (positive) and returns true if it was not seen and not too old. */
    boolean accept(long sequence) {
        if (sequence <= 0) {
            return false;
        }
        if (sequence > top) {
            long advance = sequence - top;
            if (advance >= size) {
                java.util.Arrays.fill(bits, 0L);
            } else {
                for (long s = top + 1; s < sequence; s++) {
                    clear(s);
                }
            }
            top = sequence;
            set(sequence);
            return true;
        }
        if (top - sequence >= size) {
            return false;
        }
        if (isSet(sequence)) {
            return false;
        }
        set(sequence);
        return true;
    }

    /** Forgets everything: a new sender incarnation starts from nothing. */
    void reset() {
        java.util.Arrays.fill(bits, 0L);
        top = 0;
    }

    long top() {
        return top;
    }

    private boolean isSet(long s) {
        return (bits[(int) ((s % size) >>> 6)] & (1L << (s & 63))) != 0;
    }

    private void set(long s) {
        bits[(int) ((s % size) >>> 6)] |= 1L << (s & 63);
    }

    private void clear(long s) {
        bits[(int) ((s % size) >>> 6)] &= ~(1L << (s & 63));
    }
}
