package psr.api.state;

/** How fresh a read must be. */
public enum ReadConsistency {
    /** Sees every write committed before the read started, wherever it was made; goes through the primary and the log. */
    LINEARIZABLE,
    /**
     * This replica's committed state now, without asking anyone; may lag the primary by {@link PartStatus#lag()}
     * operations, but never goes back: a replica that restarted refuses local reads (StateException) until it has
     * applied again everything it had applied before.
     */
    LOCAL
}
