package psr.consensus.part;

import java.util.ArrayList;
import java.util.List;

import psr.api.state.PartStatus;
import psr.api.state.PeerStatus;
import psr.api.state.Role;
import psr.consensus.core.Replica;
import psr.consensus.core.Status;

/** What {@code PartState.status()} shows of a replica: roles and peers in node ids. A pure function. */
final class StatusProjection {
    private StatusProjection() {}

    static PartStatus of(PartSettings settings, Replica r, long transportDrops) {
        Role role = switch (r.status()) {
            case RECOVERING -> Role.RECOVERING;
            case VIEW_CHANGE -> Role.VIEW_CHANGE;
            case NORMAL -> r.primary() == r.self() ? (r.isServingPrimary() ? Role.PRIMARY : Role.PRIMARY_NOT_SERVING) : Role.BACKUP;
        };
        List<PeerStatus> peers = new ArrayList<>(settings.replicas().size() - 1);
        for (int i = 0; i < settings.replicas().size(); i++) {
            if (i != r.self()) peers.add(new StateValues.PeerStatusValue(settings.replicas().get(i), r.connectedTo(i)));
        }
        long lag = role == Role.PRIMARY ? 0 : Math.max(0, r.knownCommitNumber() - r.commitNumber());
        // The primary is known only in normal status; in a view change primaryOf(view) is merely the candidate.
        int primaryNode = r.status() == Status.NORMAL ? settings.replicas().get(r.primary()) : -1;
        return new StateValues.PartStatusValue(settings.part(), settings.node(), role, r.view(), primaryNode,
                r.quorumConnected(), peers, r.opNumber(), r.commitNumber(), lag, ReplicaEventLog.inNodeIds(r.refusal(), settings.replicas()), r.droppedMessages() + transportDrops);
    }

    /** The last status of a replica that no longer runs: role STOPPED, with why. */
    static PartStatus stopped(PartStatus last, String why) {
        return new StateValues.PartStatusValue(last.part(), last.node(), Role.STOPPED, last.view(), last.primaryNode(), false, List.of(),
                last.opNumber(), last.commitNumber(), 0, why, last.droppedMessages());
    }
}
