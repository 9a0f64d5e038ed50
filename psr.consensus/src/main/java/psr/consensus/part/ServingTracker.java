package psr.consensus.part;

/**
 * Decides when this replica serves its followers as primary. It starts only once it has applied everything its log
 * held when it first led in the current view, so that what a follower has seen includes everything an earlier primary
 * committed (and may have published): a bridge that republishes on a switch-over never goes back. Replica loop; pure.
 */
final class ServingTracker {
    /** The view in which followers were last told this replica serves, or -1 while it does not. */
    private long servingView = -1;
    /** The view this replica was last seen leading, and its op-number then. */
    private long leadingView = -1, leadingViewStartOp;

    enum Change { NONE, STARTED, STOPPED }

    /** After a batch: what changed for followers, given what the replica is now. */
    Change update(boolean servingPrimary, long view, long opNumber, long commitNumber) {
        if (servingPrimary) {
            if (leadingView != view) {
                leadingView = view;
                leadingViewStartOp = opNumber;
            }
            if (servingView != view && commitNumber >= leadingViewStartOp) {
                servingView = view;
                return Change.STARTED;
            }
        } else if (servingView >= 0) {
            servingView = -1;
            return Change.STOPPED;
        }
        return Change.NONE;
    }

    boolean serving() {
        return servingView >= 0;
    }

    /** The replica stops: followers are told it no longer serves, if they were told it did. */
    Change stop() {
        if (servingView < 0) return Change.NONE;
        servingView = -1;
        return Change.STOPPED;
    }
}
