package psr.api.state;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The changes one committed operation made to a part. An interface the PSR runtime implements, so that a
 * new property is a minor change of this package (see the package documentation). Immutable; the follower
 * or listener may keep it.
 */
@ProviderType
public interface Change {

    /** The part. */
    String part();

    /** The operation's op-number; changes of one part arrive in increasing op-number order. */
    long opNumber();

    /** The view in which this replica applied it. */
    long view();

    /** The keys it changed (empty when a compare-and-set failed), unmodifiable. */
    List<KeyChange> changes();

    /**
     * True while a restarted replica rebuilds its state from its own log: the change was committed before
     * this replica restarted and listeners may have seen it then.
     */
    boolean replay();
}
