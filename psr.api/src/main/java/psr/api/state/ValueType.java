package psr.api.state;

/** The types a {@link Value} can have. The codes are part of the replicated log format: never change them. */
public enum ValueType {
    BOOL(1), INT32(2), INT64(3), FLOAT(4), DOUBLE(5), STRING(6), BYTES(7);

    private final int code;

    ValueType(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    /** The type with this code, or null. */
    public static ValueType ofCode(int code) {
        for (ValueType t : values()) if (t.code == code) return t;
        return null;
    }
}
