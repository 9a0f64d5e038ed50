package psr.transport.udp;

/**
 * The datagram layout of FORMAT.md: constants, the writer and the structural reader. Big-endian throughout.
 * Nothing here allocates; the reader fills a reusable {@link Header}.
 *
 * <pre>
 *  0  u32 magic 0x50535255 ("PSRU")       16 u64 sender incarnation
  *  4  u8  version (2)                     24 u64 sequence number (from 1)
 *  5  u8  type (1 whole, 2 fragment)      32 part name, n bytes (UTF-8, 1..64)
 *  6  u8  flags (0)                       -- fragment only: u32 message id, u16 index, u16 count, u32 total --
 *  7  u8  part name length n              u16 payload length, payload
 *  8  u32 cluster id                      u8 key id, 16 bytes tag = HMAC-SHA256(key, all before the tag)[0..16)
 * 12  u16 sender node, 14 u16 receiver node
 * </pre>
 */
final class Wire {

    static final int MAGIC = 0x50535255;
    static final int VERSION = 2; // 2: replica messages with hash-chained log entries (psr.consensus codec FORMAT.md)
    static final int TYPE_WHOLE = 1;
    static final int TYPE_FRAGMENT = 2;
    static final int FIXED_HEADER_BYTES = 32;
    static final int FRAGMENT_FIELDS_BYTES = 12;
    static final int LENGTH_BYTES = 2;
    static final int TAG_BYTES = 16;
    /** Key id byte plus tag. */
    static final int TRAILER_BYTES = 1 + TAG_BYTES;
    static final int PART_BYTES_MAX = 64;
    static final int FRAGMENTS_MAX = 65535;
    /** The smallest well-formed datagram: a whole message, one-byte part name, empty payload. */
    static final int DATAGRAM_BYTES_MIN = FIXED_HEADER_BYTES + 1 + LENGTH_BYTES + TRAILER_BYTES;

    private Wire() {
    }

    /** Header and trailer bytes of one datagram. */
    static int overhead(boolean fragment, int partBytes) {
        return FIXED_HEADER_BYTES + partBytes + (fragment ? FRAGMENT_FIELDS_BYTES : 0) + LENGTH_BYTES + TRAILER_BYTES;
    }

    /** Message bytes that fit in one fragment. */
    static int fragmentCapacity(int datagramBytesMax, int partBytes) {
        return datagramBytesMax - overhead(true, partBytes);
    }

    /** Length of fragment {@code index} when {@code total} bytes are split into {@code count} near-equal pieces. */
    static int fragmentLength(int total, int count, int index) {
        return total / count + (index < total % count ? 1 : 0);
    }

    /** Offset of fragment {@code index} in the message. */
    static int fragmentOffset(int total, int count, int index) {
        return index * (total / count) + Math.min(index, total % count);
    }

    /** The fields of a received datagram, refilled for each one. */
    static final class Header {
        int type;
        long cluster;
        int sender;
        int receiver;
        long incarnation;
        long sequence;
        int partOffset;
        int partLength;
        long messageId;
        int fragmentIndex;
        int fragmentCount;
        int totalLength;
        int payloadOffset;
        int payloadLength;
        int keyId;
        /** Offset of the tag; the authenticated bytes are [0, tagOffset). */
        int tagOffset;
    }

    /** Outcome of {@link #read}: null when well formed, else the drop reason. */
    static Counter read(byte[] b, int length, Header h) {
        if (length < 4 || u32(b, 0) != MAGIC) {
            return Counter.BAD_MAGIC;
        }
        if (length < 5 || (b[4] & 0xFF) != VERSION) {
            return length < 5 ? Counter.MALFORMED : Counter.BAD_VERSION;
        }
        if (length < DATAGRAM_BYTES_MIN) {
            return Counter.MALFORMED;
        }
        h.cluster = u32(b, 8) & 0xFFFF_FFFFL;
        h.type = b[5] & 0xFF;
        int flags = b[6] & 0xFF;
        h.partLength = b[7] & 0xFF;
        h.sender = u16(b, 12);
        h.receiver = u16(b, 14);
        h.incarnation = u64(b, 16);
        h.sequence = u64(b, 24);
        h.partOffset = FIXED_HEADER_BYTES;
        if ((h.type != TYPE_WHOLE && h.type != TYPE_FRAGMENT) || flags != 0 || h.partLength < 1
                || h.partLength > PART_BYTES_MAX || h.incarnation == 0 || h.sequence <= 0) {
            return Counter.MALFORMED;
        }
        boolean fragment = h.type == TYPE_FRAGMENT;
        if (length < overhead(fragment, h.partLength)) {
            return Counter.MALFORMED;
        }
        int p = FIXED_HEADER_BYTES + h.partLength;
        if (fragment) {
            h.messageId = u32(b, p) & 0xFFFF_FFFFL;
            h.fragmentIndex = u16(b, p + 4);
            h.fragmentCount = u16(b, p + 6);
            long total = u32(b, p + 8) & 0xFFFF_FFFFL;
            if (total > Integer.MAX_VALUE) {
                return Counter.OVERSIZE;
            }
            h.totalLength = (int) total;
            p += FRAGMENT_FIELDS_BYTES;
        } else {
            h.messageId = 0;
            h.fragmentIndex = 0;
            h.fragmentCount = 1;
            h.totalLength = -1;
        }
        h.payloadLength = u16(b, p);
        h.payloadOffset = p + LENGTH_BYTES;
        if (h.payloadOffset + h.payloadLength + TRAILER_BYTES != length) {
            return Counter.MALFORMED;
        }
        h.keyId = b[length - TRAILER_BYTES] & 0xFF;
        h.tagOffset = length - TAG_BYTES;
        if (fragment) {
            if (h.fragmentCount < 2 || h.fragmentIndex >= h.fragmentCount || h.totalLength < h.fragmentCount
                    || h.payloadLength != fragmentLength(h.totalLength, h.fragmentCount, h.fragmentIndex)) {
                return Counter.MALFORMED;
            }
        } else {
            h.totalLength = h.payloadLength;
        }
        return null;
    }

    /**
     * Writes a datagram's header into {@code b} and returns the payload offset. The caller copies the payload
     * there and then calls {@link Authenticator#seal}.
     */
    static int writeHeader(byte[] b, int type, long cluster, int sender, int receiver, long incarnation, long sequence,
            byte[] part, long messageId, int index, int count, int total, int payloadLength) {
        putU32(b, 0, MAGIC);
        b[4] = (byte) VERSION;
        b[5] = (byte) type;
        b[6] = 0;
        b[7] = (byte) part.length;
        putU32(b, 8, (int) cluster);
        putU16(b, 12, sender);
        putU16(b, 14, receiver);
        putU64(b, 16, incarnation);
        putU64(b, 24, sequence);
        System.arraycopy(part, 0, b, FIXED_HEADER_BYTES, part.length);
        int p = FIXED_HEADER_BYTES + part.length;
        if (type == TYPE_FRAGMENT) {
            putU32(b, p, (int) messageId);
            putU16(b, p + 4, index);
            putU16(b, p + 6, count);
            putU32(b, p + 8, total);
            p += FRAGMENT_FIELDS_BYTES;
        }
        putU16(b, p, payloadLength);
        return p + LENGTH_BYTES;
    }

    static int u16(byte[] b, int i) {
        return ((b[i] & 0xFF) << 8) | (b[i + 1] & 0xFF);
    }

    static int u32(byte[] b, int i) {
        return ((b[i] & 0xFF) << 24) | ((b[i + 1] & 0xFF) << 16) | ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
    }

    static long u64(byte[] b, int i) {
        return ((long) u32(b, i) << 32) | (u32(b, i + 4) & 0xFFFF_FFFFL);
    }

    static void putU16(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 8);
        b[i + 1] = (byte) v;
    }

    static void putU32(byte[] b, int i, int v) {
        b[i] = (byte) (v >>> 24);
        b[i + 1] = (byte) (v >>> 16);
        b[i + 2] = (byte) (v >>> 8);
        b[i + 3] = (byte) v;
    }

    static void putU64(byte[] b, int i, long v) {
        putU32(b, i, (int) (v >>> 32));
        putU32(b, i + 4, (int) v);
    }
}
