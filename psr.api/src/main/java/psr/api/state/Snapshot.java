package psr.api.state;

import java.util.SortedMap;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A replica's committed state of one part at one op-number. An interface the PSR runtime implements, so
 * that a new property is a minor change of this package (see the package documentation). Immutable; the
 * follower may keep it.
 */
@ProviderType
public interface Snapshot {

    /** The part. */
    String part();

    /** Every operation up to this one is applied, none after it. */
    long opNumber();

    /** The replica's view when the snapshot was taken. */
    long view();

    /** Every key and its value, sorted by key (unmodifiable). */
    SortedMap<String, Value> values();
}
