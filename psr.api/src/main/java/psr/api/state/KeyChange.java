package psr.api.state;

/**
 * One key's change within a committed operation.
 *
 * @param key      the key
 * @param oldValue the value before, or null if it was absent
 * @param newValue the value after, or null if it was deleted
 */
public record KeyChange(String key, Value oldValue, Value newValue) {}
