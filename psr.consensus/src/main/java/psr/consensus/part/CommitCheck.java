package psr.consensus.part;

import java.util.ArrayList;
import java.util.List;

import psr.consensus.core.Replica;
import psr.consensus.core.Status;

/**
 * Whether this replica knows that nothing submitted here can commit now, and who leads, in the operator's terms
 * (node ids, never replica indices). Replica loop only.
 *
 * <p>The replica "knows" once the condition has held for an election timeout (the time after which a primary
 * abdicates): a lost pong or a pause of this process must not fail writes that a moment later would commit. A write
 * or linearizable read that was never sent then fails at once with the reason, rather than after request.timeout.ms.
 */
final class CommitCheck {
    private final PartSettings settings;
    /** Since when {@link #cannotCommitNow} has said why nothing can commit here (-1: it has not). */
    private long cannotCommitSinceTick = -1;

    CommitCheck(PartSettings settings) {
        this.settings = settings;
    }

    /** Why nothing can commit here, once that has held for an election timeout; null when something might. */
    String cannotCommit(Replica r, long nowTick) {
        String why = cannotCommitNow(settings, r);
        if (why == null) {
            cannotCommitSinceTick = -1;
            return null;
        }
        if (cannotCommitSinceTick < 0) cannotCommitSinceTick = nowTick;
        return nowTick - cannotCommitSinceTick >= settings.ticks(settings.electionTimeoutMs()) ? why : null;
    }

    static String cannotCommitNow(PartSettings settings, Replica r) {
        String here = "node " + settings.node();
        if (r.status() == Status.RECOVERING) return here + " cannot commit: " + ReplicaEventLog.inNodeIds(r.refusal(), settings.replicas());
        if (r.quorumConnected()) return null;
        boolean primaryKnown = r.status() == Status.NORMAL;
        int primary = r.primary();
        if (primaryKnown && primary != r.self() && r.connectedTo(primary)) return null; // forwarding may still work
        List<Integer> reached = new ArrayList<>();
        for (int i = 0; i < settings.replicas().size(); i++) {
            if (i != r.self() && r.connectedTo(i)) reached.add(settings.replicas().get(i));
        }
        List<Integer> others = new ArrayList<>(settings.replicas());
        others.remove(Integer.valueOf(settings.node()));
        String links = here + " is not quorum-connected (it reaches " + (reached.isEmpty() ? "none" : "only node(s) " + reached)
                + " of the other replicas " + others + ")";
        if (primaryKnown && primary == r.self()) return links + " and does not serve as primary";
        return links + (primaryKnown ? " and does not reach the primary node " + settings.replicas().get(primary) : " and knows no primary");
    }

    /** Who leads, as this replica knows it: "node 2 leads view 4", or why no one is known to. */
    static String leader(PartSettings settings, Replica r) {
        return switch (r.status()) {
            case NORMAL -> "node " + settings.replicas().get(r.primary()) + " leads view " + r.view()
                    + (r.isServingPrimary() || r.primary() != r.self() ? "" : ", not serving: " + ReplicaEventLog.inNodeIds(r.refusal(), settings.replicas()));
            case VIEW_CHANGE -> "no primary known: view change to view " + r.view() + " in progress";
            case RECOVERING -> "no primary known: this node is recovering";
        };
    }

    /** The node id of the primary when it is known and not this node, else -1. */
    static int remotePrimaryNode(PartSettings settings, Replica r) {
        return r.status() == Status.NORMAL && r.primary() != r.self() ? settings.replicas().get(r.primary()) : -1;
    }

    /** Why there is no primary to send to, as a timeout reports it. */
    static String noPrimaryReason(PartSettings settings, Replica r) {
        return r.refusal().isEmpty() ? "no primary known (" + r.status() + ", view " + r.view() + ")" : ReplicaEventLog.inNodeIds(r.refusal(), settings.replicas());
    }
}
