package psr.api.state;

import java.util.List;
import java.util.Objects;

/**
 * An operation on one part, applied atomically: all of it or nothing, at one op-number, on every replica.
 */
public sealed interface Operation permits Operation.Put, Operation.Delete, Operation.CompareAndSet, Operation.Batch {

    /** Keys: 1 to 256 characters, no control characters. */
    int MAX_KEY_LENGTH = 256;
    /** The most operations one batch may hold. */
    int MAX_BATCH = 1024;

    /** Sets {@code key} to {@code value}. */
    record Put(String key, Value value) implements Operation {
        public Put {
            checkKey(key);
            Objects.requireNonNull(value, "value");
        }
    }

    /** Removes {@code key} (no effect if absent). */
    record Delete(String key) implements Operation {
        public Delete {
            checkKey(key);
        }
    }

    /**
     * Sets {@code key} to {@code newValue} only if its current value is {@code expected} (by type and payload,
     * not timestamp); {@code expected == null} means "only if absent". {@code newValue == null} deletes.
     */
    record CompareAndSet(String key, Value expected, Value newValue) implements Operation {
        public CompareAndSet {
            checkKey(key);
        }
    }

    /** Several operations, on several keys, applied all together or (if a compare-and-set fails) not at all. */
    record Batch(List<Operation> operations) implements Operation {
        public Batch {
            operations = List.copyOf(operations);
            if (operations.isEmpty() || operations.size() > MAX_BATCH) {
                throw new IllegalArgumentException("a batch holds 1 to " + MAX_BATCH + " operations, not " + operations.size());
            }
            for (Operation o : operations) {
                if (o instanceof Batch) throw new IllegalArgumentException("a batch cannot hold another batch");
            }
        }
    }

    static Put put(String key, Value value) { return new Put(key, value); }
    static Delete delete(String key) { return new Delete(key); }
    static CompareAndSet compareAndSet(String key, Value expected, Value newValue) { return new CompareAndSet(key, expected, newValue); }
    static Batch batch(Operation... operations) { return new Batch(List.of(operations)); }

    /** @throws IllegalArgumentException naming the key and the rule */
    static String checkKey(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("key '" + key + "' is not allowed: expected 1 to " + MAX_KEY_LENGTH + " characters");
        }
        for (int i = 0; i < key.length(); i++) {
            if (Character.isISOControl(key.charAt(i))) {
                throw new IllegalArgumentException("key '" + key.replaceAll("\\p{Cntrl}", "?") + "' contains a control character at " + i);
            }
        }
        return key;
    }
}
