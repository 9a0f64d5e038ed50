package psr.api.state;

import java.util.Collections;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A replica's committed state of one part at one op-number.
 *
 * @param part     the part
 * @param opNumber every operation up to this one is applied, none after it
 * @param view     the replica's view when the snapshot was taken
 * @param values   every key and its value, sorted by key (an unmodifiable copy)
 */
public record Snapshot(String part, long opNumber, long view, SortedMap<String, Value> values) {
    public Snapshot {
        values = Collections.unmodifiableSortedMap(new TreeMap<>(values));
    }

}
