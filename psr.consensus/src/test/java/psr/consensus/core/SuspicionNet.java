package psr.consensus.core;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import psr.api.osal.DurableStorage;
import psr.consensus.sim.SimStorage;
import psr.consensus.store.ReplicaStore;

/**
 * A small hand-driven group for {@link SuspicionsTest}: real {@link Replica}s, each persisting through a real
 * {@link ReplicaStore} on a {@link SimStorage} (which loses unsynced bytes in a crash), and a message queue that a
 * test can cut per link, hold messages back from, and inject into. One thread, no randomness but the replicas'
 * seeded ones, so every run is the same.
 */
final class SuspicionNet {

    record Packet(int from, int to, Message message) {}

    /**
     * A state machine whose state is the list of operations it executed ("op 4: client 1 request 4"), so two
     * replicas' states can be compared directly. {@link #restore} checks its input and throws
     * IllegalArgumentException on a snapshot it cannot decode, as {@code PartStateMachine.restore} does.
     */
    static final class OpListMachine implements StateMachine {
        final List<String> executed = new ArrayList<>();

        @Override
        public byte[] apply(long op, byte[] command) {
            ByteBuffer b = ByteBuffer.wrap(command);
            executed.add("op " + op + ": client " + b.getLong() + " request " + b.getLong());
            return new byte[] {1};
        }

        @Override
        public byte[] snapshot() {
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeInt(executed.size());
                for (String s : executed) out.writeUTF(s);
                return bytes.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void restore(byte[] snapshot) {
            List<String> restored = new ArrayList<>();
            try {
                DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(snapshot));
                int count = in.readInt();
                if (count < 0) throw new IOException("negative count");
                for (int i = 0; i < count; i++) restored.add(in.readUTF());
                if (in.available() != 0) throw new IOException("trailing bytes");
            } catch (IOException e) {
                throw new IllegalArgumentException("snapshot malformed: " + e);
            }
            executed.clear();
            executed.addAll(restored);
        }
    }

    static byte[] command(long client, long request) {
        return ByteBuffer.allocate(16).putLong(client).putLong(request).array();
    }

    final int n;
    final ReplicaConfig[] config;
    final Replica[] r;
    final OpListMachine[] machine;
    final SimStorage[] sim;
    /** What each replica's store writes to: the SimStorage itself unless a test wrapped it. */
    final DurableStorage[] disk;
    final ReplicaStore[] store;
    final ArrayDeque<Packet> queue = new ArrayDeque<>();
    /** Every message any replica sent, in order (delivered or not). */
    final List<Packet> sent = new ArrayList<>();
    /**
     * Beside {@link #sent}: for a PrepareOk, the sender's log (logStart to its last op) when it sent it, since a
     * replica may later replace a divergent tail; null for other messages.
     */
    final List<List<LogEntry>> sentLog = new ArrayList<>();
    final List<Effects.Reply> replies = new ArrayList<>();
    /** Every replica's events as "index: event", in the order they happened. */
    final List<String> events = new ArrayList<>();
    final boolean[][] cut;
    /** Messages matching this are taken out of the queue into {@link #held} instead of being delivered. */
    Predicate<Packet> hold = p -> false;
    final List<Packet> held = new ArrayList<>();
    /** IllegalArgumentExceptions thrown by step(), swallowed as PartRuntime does ("transport drop"). */
    final List<String> swallowed = new ArrayList<>();
    private final Random crashRandom = new Random(7);
    private int incarnation;

    SuspicionNet(int n, int checkpointIntervalOps) {
        this.n = n;
        config = new ReplicaConfig[n];
        r = new Replica[n];
        machine = new OpListMachine[n];
        sim = new SimStorage[n];
        disk = new DurableStorage[n];
        store = new ReplicaStore[n];
        cut = new boolean[n][n];
        for (int i = 0; i < n; i++) {
            config[i] = ReplicaConfig.defaults(n, i).withCheckpointInterval(checkpointIntervalOps);
            sim[i] = new SimStorage();
            disk[i] = sim[i];
            store[i] = new ReplicaStore(disk[i]);
            machine[i] = new OpListMachine();
            r[i] = Replica.bootstrap(config[i], machine[i], new Random(100 + i));
            collect(i, r[i].drainStartupEffects());
        }
    }

    /** Lets replica i write through {@code wrapper} (over its SimStorage); call before it persisted any log entry. */
    void useDisk(int i, DurableStorage wrapper) {
        disk[i] = wrapper;
        store[i] = new ReplicaStore(wrapper);
    }

    /** Persist (synced, as PartRuntime does), then send, then collect replies. A storage IOException crashes the replica. */
    void collect(int i, Effects fx) {
        if (r[i] == null) return;
        if (!fx.persist().isEmpty()) {
            try {
                store[i].apply(fx.persist(), fx.syncBeforeSend());
            } catch (IOException e) {
                crash(i);
                return;
            }
        }
        for (Effects.Outbound o : fx.messages()) {
            Packet p = new Packet(i, o.to(), o.message());
            sent.add(p);
            sentLog.add(o.message() instanceof Message.PrepareOk ? log(i) : null);
            queue.add(p);
        }
        replies.addAll(fx.replies());
        for (ReplicaEvent e : fx.events()) events.add(i + ": " + e);
        for (Effects.Reply reply : fx.replies()) {
            if (reply.requestNumber() == LogEntry.REGISTER && reply.outcome() == Effects.Outcome.OK) sessionBase.putIfAbsent(reply.clientId(), reply.op());
        }
    }

    void deliverAll() {
        while (!queue.isEmpty()) {
            Packet p = queue.poll();
            if (r[p.to()] == null || cut[p.from()][p.to()]) continue;
            if (hold.test(p)) {
                held.add(p);
                continue;
            }
            inject(p.from(), p.to(), p.message());
        }
    }

    /** Delivers one message now, whatever the cuts (a message that was already in flight, or one a test writes). */
    void inject(int from, int to, Message m) {
        if (r[to] == null) return;
        Effects fx;
        try {
            fx = r[to].step(from, m);
        } catch (IllegalArgumentException e) {
            swallowed.add("replica " + to + ": " + e.getMessage());
            return;
        }
        collect(to, fx);
    }

    void tick() {
        for (int i = 0; i < n; i++) if (r[i] != null) collect(i, r[i].tick());
        deliverAll();
    }

    void tick(int ticks) {
        for (int t = 0; t < ticks; t++) tick();
    }

    /** Ticks until {@code done}; fails if it does not hold within {@code max} ticks. */
    void tickUntil(String what, BooleanSupplier done, int max) {
        for (int t = 0; t < max; t++) {
            if (done.getAsBoolean()) return;
            tick();
        }
        if (!done.getAsBoolean()) throw new AssertionError("not within " + max + " ticks: " + what + "\n" + describe());
    }

    /** Submits client's request at replica {@code at}; request {@link LogEntry#REGISTER} registers the session (empty command). */
    void submit(int at, long client, long request) {
        byte[] command = request == LogEntry.REGISTER ? new byte[0] : command(client, request);
        collect(at, r[at].submit(new Request(client, number(client, request), command)));
    }

    /** The op-number that registered each client's session (first registration reply): requests are numbered above it. */
    final java.util.Map<Long, Long> sessionBase = new java.util.HashMap<>();

    /** The wire request number of the test's request {@code request} (1, 2, ...) of {@code client}. */
    long number(long client, long request) {
        return request == LogEntry.REGISTER ? request : sessionBase.getOrDefault(client, 0L) + request;
    }

    /**
     * The registration phase every scenario starts with: primary 0 commits the group's configuration entry (op 1,
     * proposed at bootstrap) and one registration per client, in order, at every replica it reaches. Returns the
     * base op-number: the op of the last registration, so that a scenario's "op k" is base + k.
     */
    long registerClients(long... clients) {
        for (long client : clients) {
            submit(0, client, LogEntry.REGISTER);
            deliverAll();
        }
        tick(10);
        long base = 1 + clients.length;
        if (r[0].commitNumber() != base) {
            throw new AssertionError("setup: primary 0 committed " + r[0].commitNumber() + " ops after registering " + clients.length
                    + " clients, expected " + base + "\n" + describe());
        }
        for (int k = 0; k < clients.length; k++) {
            LogEntry e = r[0].entry(2 + k);
            if (e.clientId() != clients[k] || e.requestNumber() != LogEntry.REGISTER) {
                throw new AssertionError("setup: op " + (2 + k) + " is " + e + ", expected client " + clients[k] + "'s registration");
            }
        }
        for (Effects.Reply reply : replies) {
            if (reply.requestNumber() == LogEntry.REGISTER && reply.outcome() != Effects.Outcome.OK) {
                throw new AssertionError("setup: registration answered " + reply);
            }
        }
        return base;
    }

    /** Power failure of replica i: memory gone, unsynced writes lost, messages to it dropped. */
    void crash(int i) {
        r[i] = null;
        sim[i].crash(crashRandom, false);
        queue.removeIf(p -> p.to() == i);
    }

    /** Restarts replica i from its disk (Replica.restart), as PartRuntime does in durable mode. */
    ReplicaStore.Loaded restart(int i) {
        store[i] = new ReplicaStore(disk[i]);
        ReplicaStore.Loaded loaded;
        try {
            loaded = store[i].load();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (loaded.corrupt() || loaded.empty()) throw new AssertionError("replica " + i + " disk: " + loaded);
        machine[i] = new OpListMachine();
        r[i] = Replica.restart(config[i], machine[i], new Random(1000 + i + 10 * ++incarnation), loaded.view(),
                loaded.lastNormalView(), loaded.checkpoint(), loaded.log(), loaded.commit());
        collect(i, r[i].drainStartupEffects());
        return loaded;
    }

    /** Cuts every link between a replica of {@code a} and one of {@code b}, both ways. */
    void cutBetween(int[] a, int[] b) {
        for (int x : a) for (int y : b) cut[x][y] = cut[y][x] = true;
    }

    void isolate(int i) {
        for (int j = 0; j < n; j++) if (j != i) cut[i][j] = cut[j][i] = true;
    }

    void healAll() {
        for (boolean[] row : cut) java.util.Arrays.fill(row, false);
    }

    /** The serving primary among {@code among} with a view above {@code aboveView}, or -1. */
    int servingPrimary(long aboveView, int... among) {
        for (int i : among) if (r[i] != null && r[i].isServingPrimary() && r[i].view() > aboveView) return i;
        return -1;
    }

    List<LogEntry> log(int i) {
        List<LogEntry> out = new ArrayList<>();
        for (long op = r[i].logStart(); op <= r[i].opNumber(); op++) out.add(r[i].entry(op));
        return out;
    }

    static String show(LogEntry e) {
        if (e.clientId() == LogEntry.GROUP) return "(view " + e.view() + ", op " + e.op() + ": group configuration)";
        if (e.requestNumber() == LogEntry.REGISTER) return "(view " + e.view() + ", op " + e.op() + ": client " + e.clientId() + " registers)";
        ByteBuffer b = ByteBuffer.wrap(e.command());
        return "(view " + e.view() + ", op " + e.op() + ": client " + b.getLong() + " request " + b.getLong() + ")";
    }

    String describe() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append("  ").append(r[i] == null ? "replica " + i + " down" : r[i].toString()).append('\n');
        return b.toString();
    }
}
