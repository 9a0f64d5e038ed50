package psr.consensus.core;

import java.util.Arrays;

/**
 * Round-trip connectivity to each peer, and whether this replica is quorum-connected (QC).
 *
 * <p>A peer counts as connected only while a ping to it came back within the window: a one-way link
 * (we hear the peer, it does not hear us, or the reverse) never completes a round trip, so it never counts.
 * A replica is QC when it and the peers it is connected to form a majority.
 */
public final class Connectivity {
    private static final long NEVER = Long.MIN_VALUE;

    private final int self;
    private final int windowTicks;
    private final long[] lastRoundTripTick;

    public Connectivity(int replicaCount, int self, int windowTicks) {
        this.self = self;
        this.windowTicks = windowTicks;
        this.lastRoundTripTick = new long[replicaCount];
        Arrays.fill(lastRoundTripTick, NEVER);
    }

    /**
     * Records a pong from {@code peer} echoing the tick its ping left at. Echoes from the future (a previous
     * incarnation's pings) and round trips longer than the window are ignored.
     */
    public void onPong(int peer, long echoTick, long now) {
        if (peer == self || echoTick > now || now - echoTick > windowTicks) return;
        lastRoundTripTick[peer] = Math.max(lastRoundTripTick[peer], now);
    }

    public boolean connected(int peer, long now) {
        if (peer == self) return true;
        long last = lastRoundTripTick[peer];
        return last != NEVER && now - last <= windowTicks;
    }

    /** This replica plus the peers it is connected to. */
    public int connectedCount(long now) {
        int count = 0;
        for (int r = 0; r < lastRoundTripTick.length; r++) {
            if (connected(r, now)) count++;
        }
        return count;
    }

    /** True when this replica and the peers it is connected to form a quorum. */
    public boolean quorumConnected(long now) {
        return Quorum.reached(connectedCount(now), lastRoundTripTick.length);
    }
}
