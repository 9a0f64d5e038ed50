package psr.consensus.part;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;

import psr.api.state.StateException;
import psr.consensus.core.Replica;
import psr.consensus.core.Status;

/**
 * Leadership transfers asked for on this node (psr:transfer, a hand-over before a planned stop), each until the
 * chosen node is seen leading or the transfer gives up. Replica loop only.
 */
final class LeadershipTransfers {
    private record Transfer(int node, CompletableFuture<Integer> done, long deadlineTick) {}

    private final PartSettings settings;
    private final ArrayList<Transfer> transfers = new ArrayList<>();

    LeadershipTransfers(PartSettings settings) {
        this.settings = settings;
    }

    /** Waits for {@code node} to lead; gives up after four election timeouts. */
    void await(int node, CompletableFuture<Integer> done, long nowTick) {
        transfers.add(new Transfer(node, done, nowTick + 4L * settings.ticks(settings.electionTimeoutMs())));
    }

    /** Completes transfers whose successor now leads (we saw its view start) or that gave up. */
    void check(Replica replica, long nowTick) {
        if (transfers.isEmpty()) return;
        for (Iterator<Transfer> it = transfers.iterator(); it.hasNext();) {
            Transfer t = it.next();
            int primaryNode = settings.replicas().get(replica.primary());
            if (primaryNode == t.node() && replica.status() == Status.NORMAL) {
                t.done().complete(t.node());
                it.remove();
            } else if (nowTick > t.deadlineTick() || replica.isServingPrimary() && replica.transferTarget() < 0) {
                t.done().completeExceptionally(new StateException("part " + settings.part() + ": node " + t.node()
                        + " did not take over in time; " + CommitCheck.leader(settings, replica)));
                it.remove();
            }
        }
    }

    /** The replica stops: transfers still waiting fail. */
    void failAll(StateException e) {
        for (Transfer t : transfers) t.done().completeExceptionally(e);
        transfers.clear();
    }
}
