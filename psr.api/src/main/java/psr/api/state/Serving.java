package psr.api.state;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Whether a replica is its part's serving primary, as a {@link StateFollower} is told. An interface the PSR
 * runtime implements, so that a new property is a minor change of this package (see the package
 * documentation).
 */
@ProviderType
public interface Serving {

    /** The part. */
    String part();

    /** This replica's node id. */
    int node();

    /**
     * True from the moment this replica serves as primary in {@link #view()} and has applied every operation
     * that was in its log when that view started (so every operation any earlier primary committed); false
     * once it is deposed, abdicates (not quorum-connected), or stops.
     */
    boolean serving();

    /** The view this is about (when {@link #serving()} is false: the replica's view at that moment). */
    long view();

    /** The last operation the follower has been given when this is delivered. */
    long opNumber();
}
