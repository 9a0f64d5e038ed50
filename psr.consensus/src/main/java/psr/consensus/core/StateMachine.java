package psr.consensus.core;

/**
 * The replicated state machine the core applies committed operations to.
 *
 * <p>It must be deterministic: the same commands in the same order give the same results and state on every
 * replica. It is called only from the thread that drives the {@link Replica}; it must not block.
 */
public interface StateMachine {

    /**
     * Applies one committed command.
     *
     * @param op      the operation's op-number; calls come in increasing, gap-free order
     * @param command the command; the caller keeps ownership, do not keep or modify it
     * @return the result returned to the client; owned by the core afterwards
     */
    byte[] apply(long op, byte[] command);

    /** The whole state, for a checkpoint; deterministic: equal states give equal bytes. The caller owns the array. */
    byte[] snapshot();

    /**
     * Replaces the whole state with one {@link #snapshot()} returned (possibly on another replica). All or nothing:
     * a malformed snapshot throws {@link IllegalArgumentException} and leaves the state as it was, so that the
     * replica can refuse the checkpoint without having half installed it.
     */
    void restore(byte[] snapshot);
}
