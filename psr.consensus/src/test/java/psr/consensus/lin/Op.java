package psr.consensus.lin;

import java.util.Objects;

/**
 * One operation of the key-value model, on exactly one key.
 *
 * <ul>
 *   <li>{@code PUT(key, value)} always succeeds; its result is ignored.</li>
 *   <li>{@code CAS(key, expected, value)} sets the key to {@code value} iff its current value equals
 *       {@code expected} ({@code expected == null} means "key absent"); result {@link Boolean}.</li>
 *   <li>{@code GET(key)} returns the current value, {@link Long} or {@code null} when absent.</li>
 * </ul>
 *
 * @param kind     operation kind
 * @param key      the key (never null)
 * @param expected CAS only: the expected current value, null meaning absent; null for PUT and GET
 * @param value    PUT: the value written; CAS: the new value; GET: unused (0)
 */
public record Op(Kind kind, String key, Long expected, long value) {

    /** Operation kinds. */
    public enum Kind { PUT, CAS, GET }

    public Op {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(key, "key");
        if (kind != Kind.CAS && expected != null) {
            throw new IllegalArgumentException(kind + " has no expected value");
        }
    }

    public static Op put(String key, long value) {
        return new Op(Kind.PUT, key, null, value);
    }

    public static Op cas(String key, Long expected, long newValue) {
        return new Op(Kind.CAS, key, expected, newValue);
    }

    public static Op get(String key) {
        return new Op(Kind.GET, key, null, 0L);
    }

    /** Whether this operation can change the state (PUT or CAS). */
    public boolean isWrite() {
        return kind != Kind.GET;
    }

    @Override
    public String toString() {
        switch (kind) {
            case PUT:
                return "PUT(" + key + ", " + value + ")";
            case CAS:
                return "CAS(" + key + ", " + (expected == null ? "absent" : expected) + " -> " + value + ")";
            default:
                return "GET(" + key + ")";
        }
    }
}
