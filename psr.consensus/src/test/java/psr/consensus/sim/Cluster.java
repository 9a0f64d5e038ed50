package psr.consensus.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

import psr.consensus.core.Effects;
import psr.consensus.core.LogEntry;
import psr.consensus.core.Message;
import psr.consensus.core.Replica;
import psr.consensus.core.ReplicaConfig;
import psr.consensus.core.Request;
import psr.consensus.core.Status;
import psr.consensus.store.ReplicaStore;

/**
 * The deterministic cluster simulator: replicas, a faulty network, storage that can lose, tear and corrupt
 * writes, and clients, all driven by one seeded PRNG on a virtual clock in one thread. The same seed and the
 * same script give the same run, message for message.
 *
 * <p>After every step it checks safety across replicas: committed prefixes agree, at most one replica
 * serves as primary of a view, each replica executes each request at most once (in {@link SimKv}), and every
 * replica checks its own invariants. Client histories are checked for linearizability on demand.
 */
public final class Cluster {

    /** How a run is set up. */
    public record Options(int replicaCount, boolean durable, boolean quorumConnectedRules, int clients,
            double requestRatePerTick, int clientTimeoutTicks, int keys, int checkpointIntervalOps, int messageBudgetBytes) {

        /** 3 clients, durable, VSR-QC, a checkpoint every 64 operations (so that runs exercise them). */
        public static Options defaults(int replicaCount) {
            return new Options(replicaCount, true, true, 3, 0.3, 120, 4, 64, 512 * 1024);
        }

        /** A small budget makes state transfer go in many chunks and the primary push back (BUSY) often. */
        public Options withMessageBudget(int bytes) {
            return new Options(replicaCount, durable, quorumConnectedRules, clients, requestRatePerTick, clientTimeoutTicks, keys, checkpointIntervalOps, bytes);
        }

        public Options withCheckpointInterval(int ops) {
            return new Options(replicaCount, durable, quorumConnectedRules, clients, requestRatePerTick, clientTimeoutTicks, keys, ops, messageBudgetBytes);
        }

        public Options withDurable(boolean on) {
            return new Options(replicaCount, on, quorumConnectedRules, clients, requestRatePerTick, clientTimeoutTicks, keys, checkpointIntervalOps, messageBudgetBytes);
        }

        public Options withQuorumConnectedRules(boolean on) {
            return new Options(replicaCount, durable, on, clients, requestRatePerTick, clientTimeoutTicks, keys, checkpointIntervalOps, messageBudgetBytes);
        }

        public Options withClients(int count) {
            return new Options(replicaCount, durable, quorumConnectedRules, count, requestRatePerTick, clientTimeoutTicks, keys, checkpointIntervalOps, messageBudgetBytes);
        }

        public Options withRequestRate(double perTick) {
            return new Options(replicaCount, durable, quorumConnectedRules, clients, perTick, clientTimeoutTicks, keys, checkpointIntervalOps, messageBudgetBytes);
        }
    }

    /** One simulated controller. */
    final class Node {
        final int id;
        final SimStorage storage = new SimStorage();
        ReplicaStore store;
        Replica replica; // null while crashed
        SimKv kv;
        int incarnation;
        boolean crashDuringNextPersist;
        boolean logCorrupted;

        Node(int id) {
            this.id = id;
        }

        boolean up() {
            return replica != null;
        }
    }

    private final long seed;
    private final Options options;
    private final Random random;
    private final ReplicaConfig baseConfig;
    private final Node[] nodes;
    public final SimNetwork network;
    private final List<SimClient> clients = new ArrayList<>();
    private final History history = new History();
    private long now;
    private boolean clientsActive = true;
    /** Bytes appended to every client command (the state machine ignores them): big commands make chunks small. */
    private int commandPadding;

    // Safety bookkeeping.
    private final TreeMap<Long, LogEntry> committed = new TreeMap<>();
    private final long[] checkedCommit;
    private long maxCommit;
    private final Map<Long, Integer> primaryOfView = new HashMap<>();
    private long viewChanges;
    private long highestViewStarted;
    private final StringBuilder trace = new StringBuilder();
    private final boolean tracing = Boolean.getBoolean("psr.sim.trace");

    public Cluster(long seed, Options options) {
        this(seed, options, ReplicaConfig.defaults(options.replicaCount(), 0));
    }

    public Cluster(long seed, Options options, ReplicaConfig baseConfig) {
        this.seed = seed;
        this.options = options;
        this.random = new Random(seed);
        this.baseConfig = baseConfig.withQuorumConnectedRules(options.quorumConnectedRules())
                .withCheckpointInterval(options.checkpointIntervalOps()).withMessageBudget(options.messageBudgetBytes());
        int n = options.replicaCount();
        this.network = new SimNetwork(new Random(random.nextLong()), n);
        this.nodes = new Node[n];
        this.checkedCommit = new long[n];
        for (int i = 0; i < n; i++) {
            Node node = new Node(i);
            nodes[i] = node;
            node.store = new ReplicaStore(node.storage);
            node.kv = new SimKv(i);
            node.replica = Replica.bootstrap(config(i), node.kv, replicaRandom(node));
            handle(node, node.replica.drainStartupEffects());
        }
        for (int c = 0; c < options.clients(); c++) clients.add(new SimClient(c + 1, c % n));
    }

    public long seed() { return seed; }
    public long now() { return now; }
    public History history() { return history; }
    public int size() { return nodes.length; }

    private ReplicaConfig config(int id) {
        return baseConfig.withSelf(id);
    }

    private Random replicaRandom(Node node) {
        return new Random(seed * 31 + node.id * 1_000_003L + node.incarnation);
    }

    // ------------------------------------------------------------------------------------------------
    // Driving the run.

    /** One tick: deliver due messages, tick every live replica, let clients act. */
    public void tick() {
        now++;
        for (SimNetwork.Packet p : network.due(now)) {
            Node node = nodes[p.to()];
            if (!node.up()) continue;
            handle(node, node.replica.step(p.from(), p.message()));
        }
        for (Node node : nodes) {
            if (node.up()) handle(node, node.replica.tick());
        }
        for (SimClient client : clients) client.act();
    }

    public void run(long ticks) {
        for (long t = 0; t < ticks; t++) tick();
    }

    /** Runs until {@code done} holds; returns the ticks it took, or -1 if it did not hold within {@code maxTicks}. */
    public long runUntil(BooleanSupplier done, long maxTicks) {
        for (long t = 0; t <= maxTicks; t++) {
            if (done.getAsBoolean()) return t;
            tick();
        }
        return -1;
    }

    /**
     * Runs until {@code ops} more operations have committed and been answered to clients; returns the
     * ticks taken or -1 if not within {@code maxTicks}.
     */
    public long awaitProgress(int ops, long maxTicks) {
        long target = history.completedOk() + ops;
        return runUntil(() -> history.completedOk() >= target, maxTicks);
    }

    public void stopClients() { clientsActive = false; }

    /** Pads every client command by {@code bytes} from now on (review: big commands, small messages). */
    public void setCommandPadding(int bytes) { commandPadding = bytes; }
    public void startClients() { clientsActive = true; }

    // ------------------------------------------------------------------------------------------------
    // Effects.

    private void handle(Node node, Effects fx) {
        if (!fx.persist().isEmpty() && options.durable()) {
            try {
                if (node.crashDuringNextPersist) {
                    node.crashDuringNextPersist = false;
                    node.store.apply(fx.persist(), false);
                    log("replica " + node.id + " crashes while persisting (unsynced writes may tear)");
                    crashNow(node, true);
                    return;
                }
                node.store.apply(fx.persist(), fx.syncBeforeSend());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        for (Effects.Outbound out : fx.messages()) {
            if (tracing) log(node.id + " -> " + out.to() + " " + out.message());
            network.send(now, node.id, out.to(), out.message());
        }
        for (Effects.Reply reply : fx.replies()) {
            for (SimClient client : clients) client.onReply(node.id, reply);
        }
        for (Effects.Committed c : fx.committed()) checkAgreement(node, c.entry());
        checkSafety(node);
    }

    private void checkSafety(Node node) {
        Replica r = node.replica;
        if (r == null) return;
        if (r.status() == Status.NORMAL) node.logCorrupted = false;
        // Entries applied in this step were checked from the effects; entries committed but still in the log are
        // checked here too (a replica's log may also hold committed entries it applied before a restart).
        for (long op = Math.max(checkedCommit[node.id] + 1, r.logStart()); op <= r.commitNumber(); op++) {
            checkAgreement(node, r.entry(op));
        }
        checkedCommit[node.id] = Math.max(checkedCommit[node.id], r.commitNumber());
        maxCommit = Math.max(maxCommit, r.commitNumber());
        if (r.status() == Status.NORMAL && r.primary() == node.id) {
            Integer previous = primaryOfView.putIfAbsent(r.view(), node.id);
            if (previous != null && previous != node.id) {
                fail("two primaries in view " + r.view() + ": " + previous + " and " + node.id);
            }
            if (previous == null) {
                viewChanges += r.view() > 0 ? 1 : 0;
                highestViewStarted = Math.max(highestViewStarted, r.view());
                log("replica " + node.id + " is primary of view " + r.view());
            }
        }
    }

    private void checkAgreement(Node node, LogEntry entry) {
        LogEntry first = committed.putIfAbsent(entry.op(), entry);
        if (first != null && !first.equals(entry)) {
            fail("agreement violated: replica " + node.id + " committed " + entry + " at op " + entry.op() + " but " + first + " was committed before");
        }
    }

    void fail(String what) {
        throw new AssertionError("seed " + seed + ", tick " + now + ": " + what + "\n" + describe());
    }

    // ------------------------------------------------------------------------------------------------
    // Faults.

    /** Crashes replica {@code id}: memory gone, unsynced writes lost (or torn), messages to it dropped. */
    public void crash(int id) {
        crashNow(nodes[id], false);
    }

    /** Crashes replica {@code id} in the middle of its next write, before the sync: the unsynced tail may tear. */
    public void crashDuringNextPersist(int id) {
        nodes[id].crashDuringNextPersist = true;
    }

    private void crashNow(Node node, boolean tear) {
        if (!node.up()) return;
        log("crash " + node.id);
        node.replica = null;
        node.storage.crash(random, tear);
        network.dropInFlight(node.id);
        checkedCommit[node.id] = 0;
    }

    /**
     * Restarts replica {@code id}. In durable mode it reloads its disk (recovering from peers if the disk is
     * empty or corrupt); in diskless mode it has lost everything and runs the Recovery protocol.
     */
    public void restart(int id) {
        Node node = nodes[id];
        if (node.up()) throw new IllegalStateException("replica " + id + " is running");
        node.incarnation++;
        node.kv = new SimKv(id);
        node.store = new ReplicaStore(node.storage);
        Replica replica;
        if (!options.durable()) {
            node.storage.wipe();
            replica = Replica.recover(config(id), node.kv, replicaRandom(node));
            log("restart " + id + " diskless: recovering");
        } else {
            ReplicaStore.Loaded loaded;
            try {
                loaded = node.store.load();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            node.logCorrupted = loaded.corrupt(); // untrusted until recovery rewrites it
            if (loaded.empty() || loaded.corrupt()) {
                try {
                    node.store.wipe(); // a corrupt disk is not trusted at all; the peers' state replaces it
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                replica = Replica.recover(config(id), node.kv, replicaRandom(node));
                log("restart " + id + " durable: " + (loaded.empty() ? "empty disk" : loaded.problem()) + ", recovering from peers");
            } else {
                replica = Replica.restart(config(id), node.kv, replicaRandom(node), loaded.view(), loaded.lastNormalView(),
                        loaded.checkpoint(), loaded.log(), loaded.commit());
                log("restart " + id + " durable: view " + loaded.view() + ", " + loaded.lastOp() + " ops"
                        + (loaded.checkpoint() != null ? " (checkpoint at " + loaded.checkpoint().op() + ")" : "")
                        + (loaded.tornBytesDropped() > 0 ? ", dropped " + loaded.tornBytesDropped() + " torn bytes" : ""));
            }
        }
        node.replica = replica;
        handle(node, replica.drainStartupEffects());
    }

    /** Flips a bit in replica {@code id}'s synced log (it is read only at the next restart). */
    public boolean corruptLog(int id) {
        boolean done = nodes[id].storage.corrupt("log", random);
        nodes[id].logCorrupted |= done;
        if (done) log("corrupt log of " + id);
        return done;
    }

    /**
     * True when replica {@code id} holds no trustworthy state: recovering, or down with an empty or corrupt disk
     * (or any disk in diskless mode). More than f of these at once cannot be recovered safely.
     */
    public boolean lostMemory(int id) {
        Node node = nodes[id];
        if (node.up()) return node.replica.status() == Status.RECOVERING;
        return !options.durable() || node.logCorrupted || node.storage.list().isEmpty();
    }

    /** True when replica {@code id} is down with a corrupt log that no recovery has rewritten yet. */
    public boolean downWithCorruptLog(int id) {
        return !nodes[id].up() && nodes[id].logCorrupted;
    }

    /** Asks the serving primary to hand over to {@code target} (maintenance switch-over); false if there is none. */
    public boolean transferLeadership(int target) {
        int primary = servingPrimary();
        if (primary < 0 || primary == target || !nodes[target].up()) return false;
        log("transfer leadership " + primary + " -> " + target);
        handle(nodes[primary], nodes[primary].replica.transferLeadership(target));
        return true;
    }

    public void cut(int a, int b) { network.cut(a, b); log("cut " + a + " <-> " + b); }
    public void cutOneWay(int from, int to) { network.cutOneWay(from, to); log("cut " + from + " -> " + to); }
    public void restore(int a, int b) { network.restore(a, b); log("restore " + a + " <-> " + b); }
    public void isolate(int id) { network.isolate(id); log("isolate " + id); }
    public void onlyLinks(int[][] pairs) { network.onlyLinks(pairs); log("only links " + java.util.Arrays.deepToString(pairs)); }
    /** Ends every network fault (cuts, loss, duplication, long delays) and cancels crashes armed for a replica's next write. */
    public void heal() {
        network.healAll();
        network.setFaults(0, 0, 1, 2);
        for (Node node : nodes) node.crashDuringNextPersist = false;
        log("heal");
    }

    /** Restores every cut link; loss, duplication and delay stay as they are. */
    public void healLinks() {
        network.healAll();
        log("heal links");
    }

    // ------------------------------------------------------------------------------------------------
    // Observations.

    public Replica replica(int id) { return nodes[id].replica; }
    public boolean up(int id) { return nodes[id].up(); }
    public SimKv stateOf(int id) { return nodes[id].kv; }

    /** The serving primary with the highest view, or -1. */
    public int servingPrimary() {
        int best = -1;
        for (Node node : nodes) {
            if (node.up() && node.replica.isServingPrimary() && (best < 0 || node.replica.view() > nodes[best].replica.view())) {
                best = node.id;
            }
        }
        return best;
    }

    /** How many views were started (view changes completed) since the beginning. */
    public long viewChanges() { return viewChanges; }
    public long highestViewStarted() { return highestViewStarted; }
    /** The highest commit-number any replica reached. */
    public long committedOps() { return maxCommit; }
    public TreeMap<Long, LogEntry> committedEntries() { return committed; }

    /** Checks that every replica that is up and normal holds every op committed anywhere up to its commit, and that states match. */
    public void checkConverged() {
        long max = committedOps();
        for (Node node : nodes) {
            if (!node.up()) continue;
            Replica r = node.replica;
            if (r.status() != Status.NORMAL) fail("replica " + node.id + " not normal after convergence: " + r);
            if (r.commitNumber() != max) fail("replica " + node.id + " commit " + r.commitNumber() + " != cluster's " + max);
        }
        TreeMap<String, Long> reference = null;
        for (Node node : nodes) {
            if (!node.up()) continue;
            if (reference == null) reference = node.kv.data();
            else if (!reference.equals(node.kv.data())) fail("replica " + node.id + " state " + node.kv.data() + " != " + reference);
        }
    }

    public String describe() {
        StringBuilder b = new StringBuilder();
        for (Node node : nodes) {
            b.append("  ").append(node.up() ? node.replica.toString() : "replica " + node.id + " down")
                    .append(node.up() && !node.replica.refusal().isEmpty() ? " (" + node.replica.refusal() + ")" : "").append('\n');
        }
        b.append("  committed ops: ").append(committedOps()).append(", view changes: ").append(viewChanges)
                .append(", clients answered: ").append(history.completedOk()).append('\n');
        if (trace.length() > 0) {
            String t = trace.toString();
            b.append("  last events:\n").append(t, Math.max(0, t.length() - 4000), t.length());
        }
        return b.toString();
    }

    void log(String event) {
        String line = "    t=" + now + " " + event + "\n";
        trace.append(line);
        if (trace.length() > 200_000) trace.delete(0, 100_000);
        if (tracing) System.out.print(line);
    }

    // ------------------------------------------------------------------------------------------------
    // Clients.

    /**
     * A client with one request outstanding at a time. It registers its session through the log first, sends to
     * the replica it believes is primary, follows NOT_PRIMARY hints, and on a timeout retries the same request
     * (same request number) at the next replica, so a request may reach several primaries and must still execute
     * at most once. Told EVICTED, it records the outcome as unknown and registers a new session.
     */
    final class SimClient {
        long clientId;
        long requestNumber;
        boolean registered;
        boolean registering;
        int target;
        byte[] command;
        int historyId = -1;
        long sentTick;
        boolean resendNow;

        SimClient(long clientId, int target) {
            this.clientId = clientId;
            this.target = target;
        }

        void act() {
            if (historyId >= 0 || registering) {
                if (resendNow || now - sentTick >= options.clientTimeoutTicks()) {
                    if (!resendNow) target = (target + 1) % nodes.length;
                    resendNow = false;
                    send();
                }
                return;
            }
            if (!clientsActive || random.nextDouble() >= options.requestRatePerTick()) return;
            if (!registered) {
                registering = true;
                requestNumber = 0;
                command = new byte[0];
                send();
                return;
            }
            requestNumber++;
            String key = "k" + random.nextInt(options.keys());
            int kind = random.nextInt(10);
            long value = clientId * 1_000_000L + requestNumber;
            if (kind < 4) {
                command = SimKv.put(clientId, requestNumber, key, value);
                historyId = history.invoke(clientId, now, History.Op.put(key, value));
            } else if (kind < 7) {
                Long expected = random.nextInt(3) == 0 ? null : lastSeen(key);
                command = SimKv.cas(clientId, requestNumber, key, expected, value);
                historyId = history.invoke(clientId, now, History.Op.cas(key, expected, value));
            } else {
                command = SimKv.get(clientId, requestNumber, key);
                historyId = history.invoke(clientId, now, History.Op.get(key));
            }
            if (commandPadding > 0) command = java.util.Arrays.copyOf(command, command.length + commandPadding);
            send();
        }

        private Long lastSeen(String key) {
            Long v = history.lastReadOrWritten(key);
            return v == null ? 0L : v;
        }

        private void send() {
            sentTick = now;
            Node node = nodes[target];
            if (!node.up()) return; // nobody answers; the timeout moves us on
            handle(node, node.replica.submit(new Request(clientId, requestNumber, command)));
        }

        void onReply(int from, Effects.Reply reply) {
            if (reply.clientId() != clientId || reply.requestNumber() != requestNumber || historyId < 0 && !registering) return;
            switch (reply.outcome()) {
                case OK -> {
                    if (registering) {
                        registering = false;
                        registered = true;
                        requestNumber = reply.op(); // the session's requests are numbered above its registration
                        target = from;
                        return;
                    }
                    history.ok(historyId, now, decode(reply.result()));
                    historyId = -1;
                    target = from;
                }
                case NOT_PRIMARY -> {
                    if (from != target) return;
                    target = reply.primaryHint() >= 0 && reply.primaryHint() != from ? reply.primaryHint() : (target + 1) % nodes.length;
                    // Retry at once only when pointed somewhere definite; otherwise wait a little.
                    if (reply.primaryHint() >= 0) resendNow = true; else sentTick = now - options.clientTimeoutTicks() + 10;
                }
                case EVICTED -> {
                    // An earlier copy may have executed before the eviction: the outcome stays unknown in the history.
                    historyId = -1;
                    clientId += 1_000;
                    requestNumber = 0;
                    registered = false;
                }
                case STALE_REQUEST -> fail("client " + clientId + " request " + requestNumber + " judged stale");
                case BUSY -> resendNow = true; // not appended: retry at the same replica on the next tick
            }
        }

        private Object decode(byte[] result) {
            History.Op op = history.op(historyId);
            return switch (op.kind()) {
                case PUT -> Boolean.TRUE;
                case CAS -> result[0] == 1;
                case GET -> result.length == 0 ? null : ByteBuffer.wrap(result).getLong();
            };
        }
    }

    /** Reads the message that a test wants to inject, for scripted message-level tests. */
    public void inject(int from, int to, Message message) {
        Node node = nodes[to];
        if (node.up()) handle(node, node.replica.step(from, message));
    }
}
