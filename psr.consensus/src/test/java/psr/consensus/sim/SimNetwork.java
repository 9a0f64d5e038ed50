package psr.consensus.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The simulated network: every message is delivered after a random delay (so messages reorder), may be
 * lost or duplicated, and never crosses a cut link. A link is directed: {@code cutOneWay(a, b)} stops
 * a's messages to b only. Messages in flight over a link that is cut are dropped when they arrive.
 *
 * <p>Messages travel as the bytes the real codec made ({@code Cluster} encodes and decodes). Like the UDP
 * transport, the network carries at most {@link #maxMessageBytes()} per message (its payload is the encoded
 * message plus the runtime's one frame byte); a larger one is not sent and is counted in {@link #oversizeDropped}.
 * A small share of messages may be held for a long time ({@link #setLongDelays}), beside the short jitter.
 */
public final class SimNetwork {

    /** The UDP transport's default largest message. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
    /** The runtime frames each replica message with one byte before the transport carries it. */
    public static final int FRAME_BYTES = 1;

    public record Packet(long deliverTick, long seq, int from, int to, byte[] bytes) {}

    private final Random random;
    private final int replicaCount;
    private final boolean[][] blocked;
    /**
     * Messages in flight in a timing wheel: slot {@code tick & (wheel.length - 1)} holds those due at that tick, in
     * the order they were sent (so delivery is by due tick, then sequence, as a priority queue would give).
     */
    @SuppressWarnings("unchecked")
    private ArrayList<Packet>[] wheel = new ArrayList[1024];
    /** The first tick not yet handed out by {@link #due}. */
    private long nextDueTick;
    private long seq;
    private double lossRate;
    private double duplicateRate;
    private int delayMinTicks = 1;
    private int delayMaxTicks = 2;
    private double longDelayRate;
    private int longDelayMinTicks = 100;
    private int longDelayMaxTicks = 800;
    private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;

    public long sent, delivered, lost, duplicated, blockedDrops, oversizeDropped, longDelayed;
    /** The largest encoded message offered to the network, and the largest that was dropped as oversize. */
    public long largestMessage, largestOversize;

    public SimNetwork(Random random, int replicaCount) {
        this.random = random;
        this.replicaCount = replicaCount;
        this.blocked = new boolean[replicaCount][replicaCount];
    }

    /** The largest transport message (frame byte included), like the UDP transport's {@code message.bytes.max}. */
    public void setMaxMessageBytes(int bytes) {
        this.maxMessageBytes = bytes;
    }

    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /**
     * Sends an encoded message; returns false if it was too large for the transport (not sent, counted), true
     * otherwise (it may still be lost or blocked).
     */
    public boolean send(long now, int from, int to, byte[] message) {
        sent++;
        largestMessage = Math.max(largestMessage, message.length);
        if (message.length + FRAME_BYTES > maxMessageBytes) {
            oversizeDropped++;
            largestOversize = Math.max(largestOversize, message.length);
            return false;
        }
        if (blocked[from][to]) {
            blockedDrops++;
            return true;
        }
        if (lossRate > 0 && random.nextDouble() < lossRate) {
            lost++;
            return true;
        }
        enqueue(now, from, to, message);
        if (duplicateRate > 0 && random.nextDouble() < duplicateRate) {
            duplicated++;
            enqueue(now, from, to, message);
        }
        return true;
    }

    private void enqueue(long now, int from, int to, byte[] message) {
        long delay = delayMinTicks + (delayMaxTicks > delayMinTicks ? random.nextInt(delayMaxTicks - delayMinTicks + 1) : 0);
        if (longDelayRate > 0 && random.nextDouble() < longDelayRate) {
            longDelayed++;
            delay = longDelayMinTicks + random.nextInt(longDelayMaxTicks - longDelayMinTicks + 1);
        }
        long at = Math.max(now + delay, nextDueTick);
        if (at - nextDueTick >= wheel.length) grow(at - nextDueTick + 1);
        int slot = (int) (at & (wheel.length - 1));
        if (wheel[slot] == null) wheel[slot] = new ArrayList<>();
        wheel[slot].add(new Packet(at, seq++, from, to, message));
    }

    @SuppressWarnings("unchecked")
    private void grow(long span) {
        int size = wheel.length;
        while (size < span) size *= 2;
        ArrayList<Packet>[] old = wheel;
        wheel = new ArrayList[size];
        // Re-slot in due-tick order so that each slot keeps the send order.
        for (long t = nextDueTick; t < nextDueTick + old.length; t++) {
            ArrayList<Packet> list = old[(int) (t & (old.length - 1))];
            if (list == null) continue;
            for (Packet p : list) {
                int slot = (int) (p.deliverTick & (size - 1));
                if (wheel[slot] == null) wheel[slot] = new ArrayList<>();
                wheel[slot].add(p);
            }
        }
    }

    /** Removes and returns the packets due at or before {@code now} that still may cross their link. */
    public List<Packet> due(long now) {
        List<Packet> out = new ArrayList<>();
        for (; nextDueTick <= now; nextDueTick++) {
            int slot = (int) (nextDueTick & (wheel.length - 1));
            ArrayList<Packet> list = wheel[slot];
            if (list == null || list.isEmpty()) continue;
            for (Packet p : list) {
                if (blocked[p.from][p.to]) {
                    blockedDrops++;
                    continue;
                }
                delivered++;
                out.add(p);
            }
            list.clear();
        }
        return out;
    }

    /** Drops every message in flight to {@code replica} (it crashed: its sockets are gone). */
    public void dropInFlight(int replica) {
        for (ArrayList<Packet> list : wheel) if (list != null) list.removeIf(p -> p.to == replica);
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

    /** A share {@code rate} of the messages is held {@code minTicks} to {@code maxTicks} instead of the short delay (0: none). */
    public void setLongDelays(double rate, int minTicks, int maxTicks) {
        this.longDelayRate = rate;
        this.longDelayMinTicks = minTicks;
        this.longDelayMaxTicks = Math.max(minTicks, maxTicks);
    }

    public double longDelayRate() {
        return longDelayRate;
    }

    public String describe() {
        return "sent " + sent + ", delivered " + delivered + ", lost " + lost + ", duplicated " + duplicated + ", blocked "
                + blockedDrops + ", long-delayed " + longDelayed + ", oversizeDropped " + oversizeDropped
                + (oversizeDropped > 0 ? " (largest " + largestOversize + " bytes, limit " + maxMessageBytes + ")" : "")
                + ", largest message " + largestMessage + " bytes";
    }
}
