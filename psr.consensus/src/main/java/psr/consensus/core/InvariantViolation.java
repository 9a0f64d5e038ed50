package psr.consensus.core;

/**
 * A replica found its own state impossible. This is a bug (or undetected memory corruption), never bad
 * input: the replica must stop rather than go on with state it cannot trust.
 */
public final class InvariantViolation extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public InvariantViolation(int replica, long view, long op, String what) {
        super("invariant violated at replica " + replica + " (view " + view + ", op " + op + "): " + what);
    }
}
