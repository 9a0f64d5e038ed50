package psr.consensus.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

import psr.consensus.core.Message;

/**
 * The simulated network: every message is delivered after a random delay (so messages reorder), may be
 * lost or duplicated, and never crosses a cut link. A link is directed: {@code cutOneWay(a, b)} stops
 * a's messages to b only. Messages in flight over a link that is cut are dropped when they arrive.
 */
public final class SimNetwork {

    public record Packet(long deliverTick, long seq, int from, int to, Message message) {}

    private final Random random;
    private final int replicaCount;
    private final boolean[][] blocked;
    private final PriorityQueue<Packet> inFlight = new PriorityQueue<>((a, b) ->
            a.deliverTick != b.deliverTick ? Long.compare(a.deliverTick, b.deliverTick) : Long.compare(a.seq, b.seq));
    private long seq;
    private double lossRate;
    private double duplicateRate;
    private int delayMinTicks = 1;
    private int delayMaxTicks = 2;

    public long sent, delivered, lost, duplicated, blockedDrops;

    public SimNetwork(Random random, int replicaCount) {
        this.random = random;
        this.replicaCount = replicaCount;
        this.blocked = new boolean[replicaCount][replicaCount];
    }

    public void send(long now, int from, int to, Message message) {
        sent++;
        if (blocked[from][to]) {
            blockedDrops++;
            return;
        }
        if (lossRate > 0 && random.nextDouble() < lossRate) {
            lost++;
            return;
        }
        enqueue(now, from, to, message);
        if (duplicateRate > 0 && random.nextDouble() < duplicateRate) {
            duplicated++;
            enqueue(now, from, to, message);
        }
    }

    private void enqueue(long now, int from, int to, Message message) {
        long delay = delayMinTicks + (delayMaxTicks > delayMinTicks ? random.nextInt(delayMaxTicks - delayMinTicks + 1) : 0);
        inFlight.add(new Packet(now + delay, seq++, from, to, message));
    }

    /** Removes and returns the packets due at or before {@code now} that still may cross their link. */
    public List<Packet> due(long now) {
        List<Packet> out = new ArrayList<>();
        while (!inFlight.isEmpty() && inFlight.peek().deliverTick <= now) {
            Packet p = inFlight.poll();
            if (blocked[p.from][p.to]) {
                blockedDrops++;
                continue;
            }
            delivered++;
            out.add(p);
        }
        return out;
    }

    /** Drops every message in flight to or from {@code replica} (it crashed: its sockets are gone). */
    public void dropInFlight(int replica) {
        inFlight.removeIf(p -> p.to == replica);
    }

    public void cut(int a, int b) {
        blocked[a][b] = true;
        blocked[b][a] = true;
    }

    public void cutOneWay(int from, int to) {
        blocked[from][to] = true;
    }

    public void restore(int a, int b) {
        blocked[a][b] = false;
        blocked[b][a] = false;
    }

    /** Cuts every link of {@code replica}. */
    public void isolate(int replica) {
        for (int r = 0; r < replicaCount; r++) if (r != replica) cut(replica, r);
    }

    /** Cuts every link between two groups; links inside a group stay as they are. */
    public void partition(int[] groupA, int[] groupB) {
        for (int a : groupA) for (int b : groupB) cut(a, b);
    }

    /** Leaves only the listed links (each pair symmetric): the rest of the mesh is cut. */
    public void onlyLinks(int[][] pairs) {
        for (int a = 0; a < replicaCount; a++) for (int b = 0; b < replicaCount; b++) blocked[a][b] = a != b;
        for (int[] p : pairs) restore(p[0], p[1]);
    }

    public boolean isBlocked(int from, int to) {
        return blocked[from][to];
    }

    public void healAll() {
        for (boolean[] row : blocked) java.util.Arrays.fill(row, false);
    }

    public void setFaults(double lossRate, double duplicateRate, int delayMinTicks, int delayMaxTicks) {
        this.lossRate = lossRate;
        this.duplicateRate = duplicateRate;
        this.delayMinTicks = delayMinTicks;
        this.delayMaxTicks = delayMaxTicks;
    }
}
