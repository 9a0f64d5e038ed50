package psr.consensus.part;

import java.util.List;

import psr.consensus.core.ReplicaEvent;
import psr.consensus.core.ReplicaEvent.Abdicated;
import psr.consensus.core.ReplicaEvent.BecameBackup;
import psr.consensus.core.ReplicaEvent.BecamePrimary;
import psr.consensus.core.ReplicaEvent.Handover;
import psr.consensus.core.ReplicaEvent.PeerConnectivity;
import psr.consensus.core.ReplicaEvent.PrimarySilent;
import psr.consensus.core.ReplicaEvent.RecoveryStarted;
import psr.consensus.core.ReplicaEvent.ServingAgain;
import psr.consensus.core.ReplicaEvent.StateTransferStarted;
import psr.consensus.core.ReplicaEvent.ViewChangeStarted;

/**
 * The replica's events as one log line each, in the operator's terms: part, node ids (never replica indices), view,
 * milliseconds, and the reason. What a person asks after an incident (who led when, how long the part could not
 * commit, which link went) is then in {@code psr.log}.
 */
final class ReplicaEventLog {
    /** WARN for what stops or disturbs the part's service, INFO for the rest. */
    record Line(boolean warn, String text) {}

    private final String part;
    private final int node;
    private final List<Integer> replicas;
    private final int tickMs;

    ReplicaEventLog(String part, int node, List<Integer> replicas, int tickMs) {
        this.part = part;
        this.node = node;
        this.replicas = List.copyOf(replicas);
        this.tickMs = tickMs;
    }

    Line line(ReplicaEvent event) {
        String who = "part " + part + " node " + node + ": ";
        if (event instanceof ViewChangeStarted e) {
            return new Line(true, who + "view change from view " + e.fromView() + " to view " + e.view() + " started: " + inNodeIds(e.reason(), replicas) + "; "
                    + "node " + nodeOf(e.leader()) + " would lead it");
        } else if (event instanceof PrimarySilent e) {
            return new Line(true, who + "primary node " + nodeOf(e.primary()) + " of view " + e.view() + " silent for " + ms(e.silentTicks())
                    + (e.quorumConnected() ? "; campaigning" : "; not campaigning: this node is not quorum-connected"));
        } else if (event instanceof BecamePrimary e) {
            return new Line(false, who + "became primary of view " + e.view() + " (op " + e.op() + ", commit " + e.commit() + ")"
                    + withoutPrimary(e.ticksWithoutPrimary()));
        } else if (event instanceof BecameBackup e) {
            return new Line(false, who + (e.recovered() ? "recovered: " : "") + "backup of view " + e.view() + " led by node "
                    + nodeOf(e.primary()) + " (op " + e.op() + ")" + withoutPrimary(e.ticksWithoutPrimary()));
        } else if (event instanceof Abdicated e) {
            return new Line(true, who + "abdicated as primary of view " + e.view() + ": not quorum-connected for an election timeout; not serving");
        } else if (event instanceof ServingAgain e) {
            return new Line(false, who + "quorum-connected again: serving as primary of view " + e.view());
        } else if (event instanceof PeerConnectivity e) {
            return new Line(!e.connected(), who + "peer node " + nodeOf(e.peer()) + (e.connected() ? " connected" : " lost (no ping round trip within the window)"));
        } else if (event instanceof StateTransferStarted e) {
            return new Line(false, who + "state transfer towards view " + e.view() + " started: asking node " + nodeOf(e.source())
                    + " for what follows op " + e.afterOp());
        } else if (event instanceof RecoveryStarted e) {
            return new Line(true, who + "recovery started: " + inNodeIds(e.why(), replicas) + "; serving nothing until a quorum including the primary answered");
        } else if (event instanceof Handover e) {
            return new Line(e.stage().equals("abandoned"), who + "leadership transfer of view " + e.view() + " to node " + nodeOf(e.target())
                    + " " + switch (e.stage()) {
                        case "started" -> "started: new writes wait until that node holds the whole log";
                        case "announced" -> "announced: that node holds the whole log and takes over";
                        default -> "abandoned: no new view within two election timeouts; serving again";
                    });
        }
        return new Line(false, who + event);
    }

    /**
     * {@code text} from the core (a reason, a refusal) with every "replica N" (N a replica index of the group) written
     * as "node X", the node id an operator knows; other text stays as it is. The core names replicas by index because
     * it knows no node ids.
     */
    static String inNodeIds(String text, List<Integer> replicas) {
        java.util.regex.Matcher m = REPLICA_INDEX.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            int index = Integer.parseInt(m.group(1));
            m.appendReplacement(out, index < replicas.size() ? "node " + replicas.get(index) : m.group());
        }
        return m.appendTail(out).toString();
    }

    private static final java.util.regex.Pattern REPLICA_INDEX = java.util.regex.Pattern.compile("\\breplica (\\d{1,2})\\b");

    private int nodeOf(int replica) {
        return replicas.get(replica);
    }

    private String ms(long ticks) {
        return ticks * tickMs + " ms";
    }

    private String withoutPrimary(long ticks) {
        return ticks < 0 ? "" : "; no primary here for " + ms(ticks) + " before";
    }
}
