package psr.api.state;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable typed value with the source timestamp of the measurement or decision it records (epoch
 * milliseconds, set by whoever wrote it; 0 when unknown).
 */
public final class Value {
    /** The largest string or byte array a value may hold: 64 KiB. */
    public static final int MAX_BYTES = 64 * 1024;

    private final ValueType type;
    private final long bits;       // bool, int32, int64, float (raw int bits), double (raw long bits)
    private final byte[] bytes;    // string (UTF-8) and bytes
    private final long timestamp;

    private Value(ValueType type, long bits, byte[] bytes, long timestamp) {
        this.type = type;
        this.bits = bits;
        this.bytes = bytes;
        this.timestamp = timestamp;
        if (bytes != null && bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException(type + " value of " + bytes.length + " bytes is too long: at most " + MAX_BYTES);
        }
    }

    public static Value ofBool(boolean v, long timestamp) { return new Value(ValueType.BOOL, v ? 1 : 0, null, timestamp); }
    public static Value ofInt32(int v, long timestamp) { return new Value(ValueType.INT32, v, null, timestamp); }
    public static Value ofInt64(long v, long timestamp) { return new Value(ValueType.INT64, v, null, timestamp); }
    public static Value ofFloat(float v, long timestamp) { return new Value(ValueType.FLOAT, Float.floatToRawIntBits(v), null, timestamp); }
    public static Value ofDouble(double v, long timestamp) { return new Value(ValueType.DOUBLE, Double.doubleToRawLongBits(v), null, timestamp); }
    public static Value ofString(String v, long timestamp) {
        return new Value(ValueType.STRING, 0, Objects.requireNonNull(v, "string").getBytes(StandardCharsets.UTF_8), timestamp);
    }
    public static Value ofBytes(byte[] v, long timestamp) { return new Value(ValueType.BYTES, 0, Objects.requireNonNull(v, "bytes").clone(), timestamp); }

    public static Value ofBool(boolean v) { return ofBool(v, 0); }
    public static Value ofInt32(int v) { return ofInt32(v, 0); }
    public static Value ofInt64(long v) { return ofInt64(v, 0); }
    public static Value ofFloat(float v) { return ofFloat(v, 0); }
    public static Value ofDouble(double v) { return ofDouble(v, 0); }
    public static Value ofBytes(byte[] v) { return ofBytes(v, 0); }
    public static Value ofString(String v) { return ofString(v, 0); }

    /** For codecs: a value from its parts, as {@link #rawBits()} and {@link #rawBytes()} return them. */
    public static Value fromRaw(ValueType type, long bits, byte[] bytes, long timestamp) {
        Objects.requireNonNull(type, "type");
        boolean needsBytes = type == ValueType.STRING || type == ValueType.BYTES;
        if (needsBytes != (bytes != null)) throw new IllegalArgumentException(type + " value " + (needsBytes ? "needs" : "takes no") + " bytes");
        if (type == ValueType.BOOL && bits != 0 && bits != 1) throw new IllegalArgumentException("bool value must be 0 or 1, was " + bits);
        if ((type == ValueType.INT32 || type == ValueType.FLOAT) && bits != (int) bits) throw new IllegalArgumentException(type + " value out of range: " + bits);
        return new Value(type, bits, bytes == null ? null : bytes.clone(), timestamp);
    }

    public ValueType type() { return type; }
    public long timestamp() { return timestamp; }

    public boolean asBool() { check(ValueType.BOOL); return bits != 0; }
    public int asInt32() { check(ValueType.INT32); return (int) bits; }
    public long asInt64() { check(ValueType.INT64); return bits; }
    public float asFloat() { check(ValueType.FLOAT); return Float.intBitsToFloat((int) bits); }
    public double asDouble() { check(ValueType.DOUBLE); return Double.longBitsToDouble(bits); }
    public String asString() { check(ValueType.STRING); return new String(bytes, StandardCharsets.UTF_8); }
    public byte[] asBytes() { check(ValueType.BYTES); return bytes.clone(); }

    /** The numeric payload: 0/1, the integer, or the raw IEEE bits of a float or double. */
    public long rawBits() { return bits; }

    /** A copy of the byte payload of a string (UTF-8) or bytes value; null for the other types. */
    public byte[] rawBytes() { return bytes == null ? null : bytes.clone(); }

    /** Same type and payload; the timestamp is not compared (compare-and-set compares values, not times). */
    public boolean sameValue(Value other) {
        return other != null && type == other.type && bits == other.bits && Arrays.equals(bytes, other.bytes);
    }

    private void check(ValueType expected) {
        if (type != expected) throw new IllegalStateException("value is " + type + ", not " + expected);
    }

    /** The value as text, as the shell prints and parses it (without the timestamp). */
    public String text() {
        return switch (type) {
            case BOOL -> String.valueOf(asBool());
            case INT32 -> String.valueOf(asInt32());
            case INT64 -> String.valueOf(asInt64());
            case FLOAT -> String.valueOf(asFloat());
            case DOUBLE -> String.valueOf(asDouble());
            case STRING -> asString();
            case BYTES -> java.util.HexFormat.of().formatHex(bytes);
        };
    }

    /**
     * Parses {@code text} as a value of {@code type}.
     *
     * @throws IllegalArgumentException naming the text, the type and what would be right
     */
    public static Value parse(ValueType type, String text, long timestamp) {
        try {
            return switch (type) {
                case BOOL -> {
                    if (!text.equals("true") && !text.equals("false")) throw new IllegalArgumentException("expected true or false");
                    yield ofBool(Boolean.parseBoolean(text), timestamp);
                }
                case INT32 -> ofInt32(Integer.parseInt(text), timestamp);
                case INT64 -> ofInt64(Long.parseLong(text), timestamp);
                case FLOAT -> ofFloat(Float.parseFloat(text), timestamp);
                case DOUBLE -> ofDouble(Double.parseDouble(text), timestamp);
                case STRING -> ofString(text, timestamp);
                case BYTES -> ofBytes(java.util.HexFormat.of().parseHex(text), timestamp);
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + text + "' is not a " + type.name().toLowerCase() + " value: "
                    + (e.getMessage() == null ? "bad format" : e.getMessage()), e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Value v && sameValue(v) && timestamp == v.timestamp;
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, bits, Arrays.hashCode(bytes), timestamp);
    }

    @Override
    public String toString() {
        return type.name().toLowerCase() + ":" + text() + (timestamp != 0 ? "@" + timestamp : "");
    }
}
