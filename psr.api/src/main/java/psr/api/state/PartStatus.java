package psr.api.state;

import java.util.List;

/**
 * A snapshot of one replica of a part.
 *
 * @param part            the part
 * @param node            this node's id
 * @param role            what this replica does
 * @param view            its view
 * @param primaryNode     the node id of its view's primary, or -1 while it knows none (view change, recovery)
 * @param quorumConnected whether it and the peers it reaches form a majority
 * @param peers           connectivity per peer
 * @param opNumber        its op-number (last operation in its log)
 * @param commitNumber    its commit-number (last operation known committed)
 * @param lag             how many committed operations it knows of but has not yet applied or received (0 at the primary)
 * @param refusal         why it refuses to serve, or empty
 * @param droppedMessages messages it dropped as malformed or impossible
 */
public record PartStatus(String part, int node, Role role, long view, int primaryNode, boolean quorumConnected,
        List<PeerStatus> peers, long opNumber, long commitNumber, long lag, String refusal, long droppedMessages) {
    public PartStatus {
        peers = List.copyOf(peers);
    }
}
