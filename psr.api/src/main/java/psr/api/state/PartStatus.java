package psr.api.state;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A snapshot of one replica of a part, as {@link PartState#status()} returns it.
 *
 * <p>An interface the PSR runtime implements, not a record, so that a new property is a new method: a
 * minor change of this package that leaves every caller working (see the package documentation). The
 * values are taken together at one moment and do not change afterwards; {@link #peers()} is unmodifiable.
 */
@ProviderType
public interface PartStatus {

    /** The part. */
    String part();

    /** This node's id. */
    int node();

    /** What this replica does. */
    Role role();

    /** Its view. */
    long view();

    /** The node id of its view's primary, or -1 while it knows none (view change, recovery). */
    int primaryNode();

    /** Whether it and the peers it reaches form a majority. */
    boolean quorumConnected();

    /** Connectivity per peer, in the order of the part's replica list. */
    List<PeerStatus> peers();

    /** Its op-number (last operation in its log). */
    long opNumber();

    /** Its commit-number (last operation known committed). */
    long commitNumber();

    /** How many committed operations it knows of but has not yet applied or received (0 at the primary). */
    long lag();

    /** Why it refuses to serve, or empty. */
    String refusal();

    /** Messages it dropped as malformed or impossible. */
    long droppedMessages();
}
