package psr.consensus.lin;

/**
 * Outcome of {@link LinearizabilityChecker#check}. When not linearizable (or undecided), {@link #key()}
 * names the offending key and {@link #explanation()} lists the operations involved.
 */
public final class CheckResult {

    /** The three possible verdicts. */
    public enum Verdict {
        /** A linearization exists for every key. */
        LINEARIZABLE,
        /** Some key has no linearization: a real consistency violation (or a wrongly recorded history). */
        NOT_LINEARIZABLE,
        /** The step budget ran out on some key before a decision; no violation was found elsewhere. */
        UNDECIDED
    }

    private final Verdict verdict;
    private final String key;
    private final String explanation;
    private final long steps;
    private final int keys;
    private final int operations;

    CheckResult(Verdict verdict, String key, String explanation, long steps, int keys, int operations) {
        this.verdict = verdict;
        this.key = key;
        this.explanation = explanation;
        this.steps = steps;
        this.keys = keys;
        this.operations = operations;
    }

    public Verdict verdict() {
        return verdict;
    }

    public boolean isLinearizable() {
        return verdict == Verdict.LINEARIZABLE;
    }

    public boolean isNotLinearizable() {
        return verdict == Verdict.NOT_LINEARIZABLE;
    }

    public boolean isUndecided() {
        return verdict == Verdict.UNDECIDED;
    }

    /** The key that is not linearizable (or undecided); null when linearizable. */
    public String key() {
        return key;
    }

    /** Multi-line, human-readable explanation (a one-line summary when linearizable). */
    public String explanation() {
        return explanation;
    }

    /** Total search steps used over all keys. */
    public long steps() {
        return steps;
    }

    /** Number of keys checked. */
    public int keysChecked() {
        return keys;
    }

    /** Number of operations considered (failed-for-sure and pending GETs excluded). */
    public int operationsChecked() {
        return operations;
    }

    /** Throws an {@link AssertionError} carrying the explanation unless the verdict is LINEARIZABLE. */
    public CheckResult assertLinearizable() {
        if (!isLinearizable()) {
            throw new AssertionError(explanation);
        }
        return this;
    }

    @Override
    public String toString() {
        return explanation;
    }
}
