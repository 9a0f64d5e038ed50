package psr.consensus.sim;

import psr.consensus.lin.CheckResult;
import psr.consensus.lin.LinearizabilityChecker;
import psr.consensus.lin.Op;

/** Checks a simulator run's client history with {@link LinearizabilityChecker}. */
public final class Linearizability {
    private Linearizability() {}

    /** Converts the run's history; operations never answered stay pending (they may or may not have happened). */
    public static psr.consensus.lin.History toCheckerHistory(History history) {
        psr.consensus.lin.History out = new psr.consensus.lin.History();
        for (History.Entry e : history.entries()) {
            Op op = switch (e.op.kind()) {
                case PUT -> Op.put(e.op.key(), e.op.value());
                case CAS -> Op.cas(e.op.key(), e.op.expected(), e.op.value());
                case GET -> Op.get(e.op.key());
            };
            int id = out.invoke(e.clientId, e.invokeTick, op);
            if (e.failed) out.failed(id, e.returnTick);
            else if (e.returnTick >= 0) out.ok(id, e.returnTick, e.result);
        }
        return out;
    }

    /** Fails (naming the seed) unless the history is linearizable; an undecided search fails too. */
    public static void assertLinearizable(Cluster c) {
        CheckResult result = LinearizabilityChecker.check(toCheckerHistory(c.history()));
        if (!result.isLinearizable()) {
            c.fail("client history " + result.verdict() + ": " + result.explanation());
        }
    }
}
