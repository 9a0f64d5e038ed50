package psr.api.state;

/**
 * A peer as one replica sees it.
 *
 * @param node      the peer's node id
 * @param connected true while ping round trips to it complete within the connectivity window
 */
public record PeerStatus(int node, boolean connected) {}
