package psr.api.state;

/**
 * Whether a replica is its part's serving primary, as a {@link StateFollower} is told.
 *
 * @param part     the part
 * @param node     this replica's node id
 * @param serving  true from the moment this replica serves as primary in {@code view} and has applied every
 *                 operation that was in its log when that view started (so every operation any earlier primary
 *                 committed); false once it is deposed, abdicates (not quorum-connected), or stops
 * @param view     the view this is about (when {@code serving} is false: the replica's view at that moment)
 * @param opNumber the last operation the follower has been given when this is delivered
 */
public record Serving(String part, int node, boolean serving, long view, long opNumber) {}
