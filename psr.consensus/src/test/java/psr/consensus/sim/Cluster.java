package psr.consensus.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;

import psr.consensus.codec.CodecException;
import psr.consensus.codec.MessageCodec;
import psr.consensus.core.Effects;
import psr.consensus.core.Election;
import psr.consensus.core.QuorumConnectedElection;
import psr.consensus.core.RoundRobinElection;
import psr.consensus.core.LogEntry;
import psr.consensus.core.Message;
import psr.consensus.core.Replica;
import psr.consensus.core.ReplicaConfig;
import psr.consensus.core.Request;
import psr.consensus.core.Status;
import psr.consensus.sim.SimStorage.CrashKind;
import psr.consensus.store.ReplicaStore;

/**
 * The deterministic cluster simulator: replicas, a faulty network, storage that can lose, tear, misdirect and
 * corrupt writes or fail, and clients, all driven by one seeded PRNG on a virtual clock in one thread. The same
 * seed and the same script give the same run, message for message.
 *
 * <p>Messages cross the network as the bytes of the real {@link MessageCodec}, within the transport's size
 * limit ({@link Options#maxMessageBytes()}); a message that does not encode fails the run, one too large is
 * dropped and counted. Each replica may run its clock at its own rate ({@link #setClockRate}) and may be paused
 * ({@link #pause}): it neither ticks nor handles anything, and what arrives waits for it. A storage call that
 * throws makes the node fail-stop, as {@code PartRuntime} does.
 *
 * <p>After every step it checks safety across replicas: committed prefixes agree (also after a replica rewrote
 * its log), at most one replica serves as primary of a view, each replica executes each request at most once
 * (in {@link SimKv}), every replica checks its own invariants, every operation acknowledged to a client is the
 * one committed at its op-number, and the highest committed operation is still held by at least
 * {@code quorum - (replicas without memory)} replicas (in the log, in a checkpoint, or on a down replica's disk).
 * Client histories are checked for linearizability on demand.
 */
public final class Cluster {

    /** How a run is set up. Immutable; the {@code with} methods return changed copies. */
    public static final class Options {
        private int replicaCount;
        private boolean durable = true;
        private boolean quorumConnectedRules = true;
        private int clients = 3;
        private double requestRatePerTick = 0.3;
        private int clientTimeoutTicks = 120;
        private int keys = 4;
        private int checkpointIntervalOps = 64;
        private int messageBudgetBytes = 512 * 1024;
        private int maxMessageBytes = SimNetwork.DEFAULT_MAX_MESSAGE_BYTES;
        private int clientTableCapacity; // 0: the ReplicaConfig default
        private boolean pauseCatchUp = true;
        private BiFunction<Integer, ReplicaConfig, ReplicaConfig> nodeConfig = (id, c) -> c;

        private Options() {}

        private Options copy() {
            Options o = new Options();
            o.replicaCount = replicaCount;
            o.durable = durable;
            o.quorumConnectedRules = quorumConnectedRules;
            o.clients = clients;
            o.requestRatePerTick = requestRatePerTick;
            o.clientTimeoutTicks = clientTimeoutTicks;
            o.keys = keys;
            o.checkpointIntervalOps = checkpointIntervalOps;
            o.messageBudgetBytes = messageBudgetBytes;
            o.maxMessageBytes = maxMessageBytes;
            o.clientTableCapacity = clientTableCapacity;
            o.pauseCatchUp = pauseCatchUp;
            o.nodeConfig = nodeConfig;
            return o;
        }

        /** 3 clients, durable, VSR-QC, a checkpoint every 64 operations (so that runs exercise them), 1 MiB messages. */
        public static Options defaults(int replicaCount) {
            Options o = new Options();
            o.replicaCount = replicaCount;
            return o;
        }

        public int replicaCount() { return replicaCount; }
        public boolean durable() { return durable; }
        public boolean quorumConnectedRules() { return quorumConnectedRules; }
        public int clients() { return clients; }
        public double requestRatePerTick() { return requestRatePerTick; }
        public int clientTimeoutTicks() { return clientTimeoutTicks; }
        public int keys() { return keys; }
        public int checkpointIntervalOps() { return checkpointIntervalOps; }
        public int messageBudgetBytes() { return messageBudgetBytes; }
        /** The transport's largest message, its frame byte included (the UDP transport's default is 1 MiB). */
        public int maxMessageBytes() { return maxMessageBytes; }
        public int clientTableCapacity() { return clientTableCapacity; }
        /** True: a paused replica's missed ticks run in a burst when it resumes (a fixed-rate timer); false: they are skipped. */
        public boolean pauseCatchUp() { return pauseCatchUp; }

        /** A small budget makes state transfer go in many chunks and the primary push back (BUSY) often. */
        public Options withMessageBudget(int bytes) { Options o = copy(); o.messageBudgetBytes = bytes; return o; }
        public Options withCheckpointInterval(int ops) { Options o = copy(); o.checkpointIntervalOps = ops; return o; }
        public Options withDurable(boolean on) { Options o = copy(); o.durable = on; return o; }
        public Options withQuorumConnectedRules(boolean on) { Options o = copy(); o.quorumConnectedRules = on; return o; }
        public Options withClients(int count) { Options o = copy(); o.clients = count; return o; }
        public Options withRequestRate(double perTick) { Options o = copy(); o.requestRatePerTick = perTick; return o; }
        public Options withMaxMessageBytes(int bytes) { Options o = copy(); o.maxMessageBytes = bytes; return o; }
        /** Sessions the client table keeps (0: the replica's default); below the number of clients, sessions get evicted. */
        public Options withClientTableCapacity(int sessions) { Options o = copy(); o.clientTableCapacity = sessions; return o; }
        public Options withPauseCatchUp(boolean on) { Options o = copy(); o.pauseCatchUp = on; return o; }

        /** Changes one replica's configuration (after the cluster-wide options are applied): configurations that differ between nodes. */
        public Options withNodeConfig(BiFunction<Integer, ReplicaConfig, ReplicaConfig> perNode) {
            Options o = copy();
            o.nodeConfig = perNode;
            return o;
        }
    }

    /** A tick that a paused replica missed and will run when it resumes (with {@link Options#pauseCatchUp()}). */
    private static final Object MISSED_TICK = new Object();

    /** One simulated controller. */
    final class Node {
        final int id;
        final SimStorage storage;
        ReplicaStore store;
        Replica replica; // null while crashed
        SimKv kv;
        int incarnation;
        boolean crashDuringNextPersist;
        /** Its disk holds nothing trustworthy: found corrupt or empty (or wiped) at a restart, and not recovered since. */
        boolean untrustedDisk;
        /** Faults outside the store's detection (undetectable faults, non-atomic replace) hit this disk since it was last wiped. */
        boolean outsideContract;
        /** While down: what a restart would load from its disk (null when up, or diskless). */
        ReplicaStore.Loaded diskWhileDown;
        /** While down: the disk still holds detectable damage after what a restart would load (torn tails cut off). */
        boolean damagedWhileDown;
        // Clock and pauses.
        double clockRate = 1;
        double clockCredit;
        long pausedUntil = -1;
        final ArrayDeque<Object> inbox = new ArrayDeque<>();

        Node(int id, SimStorage storage) {
            this.id = id;
            this.storage = storage;
        }

        boolean up() {
            return replica != null;
        }

        boolean paused() {
            return replica != null && pausedUntil > now;
        }
    }

    private final long seed;
    private final Options options;
    private final Random random;
    private final ReplicaConfig baseConfig;
    private final Node[] nodes;
    public final SimNetwork network;
    /** Encodes without a size limit, to tell an oversize message (dropped) from one that cannot be encoded (a failure). */
    private final MessageCodec encoder = new MessageCodec(new MessageCodec.Limits(Integer.MAX_VALUE,
            MessageCodec.DEFAULT_LIMITS.maxEntries(), MessageCodec.DEFAULT_LIMITS.maxCommandBytes()));
    /** Decodes within the transport's limit, as the runtime's codec does (the transport's size less its frame byte). */
    private final MessageCodec decoder;
    private final List<SimClient> clients = new ArrayList<>();
    private final History history = new History();
    private long now;
    private boolean clientsActive = true;
    /** Bytes appended to every client command (the state machine ignores them): big commands make chunks small. */
    private int commandPadding;
    private boolean mixedCrashKinds;
    private boolean nonAtomicReplace;

    // Safety bookkeeping.
    private final TreeMap<Long, LogEntry> committed = new TreeMap<>();
    private final long[] checkedCommit;
    private long maxCommit;
    /** The highest commit-number the held-by-a-quorum check last looked at. */
    private long heldCheckedAt;
    private final Map<Long, Integer> primaryOfView = new HashMap<>();
    private long viewChanges;
    private long highestViewStarted;
    private long acknowledged;
    private long highestAcknowledgedOp;
    private long storageFailStops;
    private long pauses, corruptRestarts, failedRestarts, midWriteCrashes;
    private final TreeMap<String, Long> oversizeByType = new TreeMap<>();
    private final StringBuilder trace = new StringBuilder();
    private final boolean tracing = Boolean.getBoolean("psr.sim.trace");

    public Cluster(long seed, Options options) {
        this(seed, options, ReplicaConfig.defaults(options.replicaCount(), 0));
    }

    /** VSR-QC, or plain VR round-robin (test code) when the options turn the quorum-connected rules off. */
    private Election.Factory election() {
        return options.quorumConnectedRules() ? QuorumConnectedElection.FACTORY : RoundRobinElection.FACTORY;
    }

    public Cluster(long seed, Options options, ReplicaConfig baseConfig) {
        this.seed = seed;
        this.options = options;
        this.random = new Random(seed);
        ReplicaConfig base = baseConfig.withCheckpointInterval(options.checkpointIntervalOps()).withMessageBudget(options.messageBudgetBytes());
        if (options.clientTableCapacity() > 0) base = base.withClientTableCapacity(options.clientTableCapacity());
        this.baseConfig = base;
        int n = options.replicaCount();
        this.network = new SimNetwork(new Random(random.nextLong()), n);
        network.setMaxMessageBytes(options.maxMessageBytes());
        this.decoder = new MessageCodec(MessageCodec.DEFAULT_LIMITS.withMaxMessageBytes(Math.max(MessageCodec.MIN_MESSAGE_LIMIT,
                Math.min(options.maxMessageBytes() - SimNetwork.FRAME_BYTES, MessageCodec.DEFAULT_LIMITS.maxMessageBytes()))));
        this.nodes = new Node[n];
        this.checkedCommit = new long[n];
        for (int i = 0; i < n; i++) {
            // The disks' own randomness (where a misdirected write lands, what a crash mid-call leaves) is seeded
            // apart, so that the cluster's stream is the same whether or not storage faults are injected.
            Node node = new Node(i, new SimStorage(new Random(seed * 7_919 + i * 104_729L + 17)));
            nodes[i] = node;
            node.store = new ReplicaStore(node.storage);
            node.kv = new SimKv(i);
            node.replica = Replica.bootstrap(config(i), node.kv, replicaRandom(node), election());
            handle(node, node.replica.drainStartupEffects());
        }
        for (int c = 0; c < options.clients(); c++) clients.add(new SimClient(c + 1, c % n));
    }

    public long seed() { return seed; }
    public long now() { return now; }
    public History history() { return history; }
    public int size() { return nodes.length; }
    public Options options() { return options; }

    /** Replica {@code id}'s configuration (the same in every incarnation). */
    public ReplicaConfig config(int id) {
        return options.nodeConfig.apply(id, baseConfig.withSelf(id));
    }

    private Random replicaRandom(Node node) {
        return new Random(seed * 31 + node.id * 1_000_003L + node.incarnation);
    }

    // ------------------------------------------------------------------------------------------------
    // Driving the run.

    /**
     * One tick: replicas whose pause ended handle what waited for them, due messages are delivered, every live
     * replica's clock advances by its rate (so it ticks 0, 1 or 2 times), and clients act.
     */
    /** More messages than this sent in one tick is a storm (a question-answer loop that multiplies), not a protocol. */
    static final long STORM_MESSAGES_PER_TICK = 20_000;

    public void tick() {
        now++;
        long sentBefore = network.sent;
        for (Node node : nodes) {
            if (node.up() && node.pausedUntil >= 0 && node.pausedUntil <= now) resume(node);
        }
        for (SimNetwork.Packet p : network.due(now)) {
            Node node = nodes[p.to()];
            if (!node.up()) continue;
            if (node.paused()) node.inbox.add(p); else deliver(node, p);
        }
        for (Node node : nodes) {
            if (!node.up()) continue;
            node.clockCredit += node.clockRate;
            int ticks = (int) node.clockCredit;
            node.clockCredit -= ticks;
            for (int t = 0; t < ticks && node.up(); t++) {
                if (node.paused()) {
                    if (options.pauseCatchUp()) node.inbox.add(MISSED_TICK);
                } else {
                    handle(node, node.replica.tick());
                }
            }
        }
        for (SimClient client : clients) client.act();
        if (network.sent - sentBefore > STORM_MESSAGES_PER_TICK) {
            fail("message storm: " + (network.sent - sentBefore) + " messages sent in one tick (at most " + STORM_MESSAGES_PER_TICK + " expected)");
        }
    }

    private void deliver(Node node, SimNetwork.Packet p) {
        Message message;
        try {
            message = decoder.decode(p.bytes());
        } catch (CodecException e) {
            fail("a message from " + p.from() + " to " + p.to() + " did not decode: " + e.getMessage());
            return;
        }
        if (tracing) log(p.from() + " => " + p.to() + " " + message);
        handle(node, node.replica.step(p.from(), message));
    }

    /** Ends a pause: the replica handles everything that waited for it, in arrival order. */
    private void resume(Node node) {
        node.pausedUntil = -1;
        log("replica " + node.id + " resumes, " + node.inbox.size() + " events waited");
        while (!node.inbox.isEmpty() && node.up()) {
            Object event = node.inbox.poll();
            if (event == MISSED_TICK) {
                handle(node, node.replica.tick());
            } else if (event instanceof SimNetwork.Packet p) {
                deliver(node, p);
            } else if (event instanceof Request r) {
                handle(node, node.replica.submit(r));
            }
        }
        node.inbox.clear();
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
        if (fx.isEmpty()) return; // nothing changed that a check could see (most ticks)
        List<Effects.PersistOp> persist = fx.persist();
        // What the replica committed is committed even if it crashes before persisting or sending anything
        // (a quorum held it, or it learned so from one that knew): record it first.
        for (Effects.Committed c : fx.committed()) checkAgreement(node, c.entry());
        maxCommit = Math.max(maxCommit, node.replica.commitNumber());
        if (!persist.isEmpty() && options.durable()) {
            boolean crashArmedHere = false;
            try {
                if (node.crashDuringNextPersist) {
                    node.crashDuringNextPersist = false;
                    // Somewhere within this batch's storage calls (each op makes one to three, then a sync), or
                    // just after them, before anything is sent.
                    node.storage.crashAtCall(1 + random.nextInt(2 * persist.size() + 2));
                    crashArmedHere = true;
                }
                node.store.apply(persist, fx.syncBeforeSend());
                if (crashArmedHere) {
                    node.storage.crashAtCall(0);
                    log("replica " + node.id + " crashes after persisting, before sending");
                    crashNow(node, midWriteCrashKind());
                    return;
                }
            } catch (SimStorage.CrashPoint e) {
                midWriteCrashes++;
                log("replica " + node.id + ": " + e.getMessage());
                crashNow(node, midWriteCrashKind());
                return;
            } catch (IOException e) {
                // PartRuntime: nothing may leave that depends on state it could not make durable; the replica stops.
                storageFailStops++;
                log("replica " + node.id + ": storage failed (" + e.getMessage() + "): fail-stop");
                crashNow(node, anyCrashKind());
                return;
            }
        }
        for (Effects.Outbound out : fx.messages()) {
            if (tracing) log(node.id + " -> " + out.to() + " " + out.message());
            byte[] bytes;
            try {
                bytes = encoder.encode(out.message());
            } catch (CodecException e) {
                fail("replica " + node.id + " produced a message that does not encode: " + out.message() + ": " + e.getMessage());
                return;
            }
            if (!network.send(now, node.id, out.to(), bytes)) {
                String type = out.message().getClass().getSimpleName();
                oversizeByType.merge(type, 1L, Long::sum);
                log("replica " + node.id + " -> " + out.to() + ": " + type + " of " + bytes.length
                        + " bytes exceeds the transport's " + network.maxMessageBytes() + ": dropped");
            }
        }
        for (Effects.Reply reply : fx.replies()) {
            if (reply.outcome() == Effects.Outcome.OK) checkAcknowledged(node, reply);
            for (SimClient client : clients) client.onReply(node.id, reply);
        }
        for (Effects.PersistOp op : persist) {
            // The log was rewritten: check its committed prefix again from its start. (A checkpoint the replica took
            // itself only drops the log below it; one from a peer replaces the log.)
            boolean rewritten = op instanceof Effects.TruncateAfter || op instanceof Effects.ReplaceLog
                    || op instanceof Effects.InstallCheckpoint && fx.restoredCheckpointOp() >= 0;
            if (rewritten) checkedCommit[node.id] = 0;
        }
        checkSafety(node, !persist.isEmpty());
    }

    /**
     * Checks safety after a step of {@code node}. {@code logChanged}: the step changed its log, checkpoint or view
     * state (every such change comes with persist effects, in diskless mode too); only then, or when the highest
     * commit-number grew, can the held-by-a-quorum count change.
     */
    /**
     * In normal status a backup's log is a prefix of its primary's (same view): compare the checksums at the last op
     * both hold (the chain makes that one comparison cover the whole prefix). A backup whose commit-number rests on
     * its own log must never hold entries its primary does not.
     */
    private void checkPrefixOfPrimary(Node node) {
        Replica r = node.replica;
        if (r.status() != Status.NORMAL || r.primary() == node.id) return;
        Node p = nodes[r.primary()];
        if (!p.up() || p.replica.status() != Status.NORMAL || p.replica.view() != r.view()) return;
        long op = Math.min(r.opNumber(), p.replica.opNumber());
        if (op < Math.max(r.logStart(), p.replica.logStart())) return;
        if (r.entry(op).checksum() != p.replica.entry(op).checksum()) {
            fail("backup " + node.id + " of view " + r.view() + " holds " + r.entry(op) + " at op " + op + " where its primary "
                    + p.id + " holds " + p.replica.entry(op) + ": a normal backup's log must be a prefix of its primary's");
        }
    }

    private void checkSafety(Node node, boolean logChanged) {
        Replica r = node.replica;
        if (r == null) return;
        if (r.status() == Status.NORMAL) node.untrustedDisk = false;
        // Entries applied in this step were checked from the effects; entries committed but still in the log are
        // checked here too (a replica's log may also hold committed entries it applied before a restart, or
        // entries it took again when it rewrote its log).
        for (long op = Math.max(checkedCommit[node.id] + 1, r.logStart()); op <= r.commitNumber(); op++) {
            checkAgreement(node, r.entry(op));
        }
        checkedCommit[node.id] = Math.max(checkedCommit[node.id], r.commitNumber());
        checkPrefixOfPrimary(node);
        boolean commitGrew = maxCommit > heldCheckedAt;
        if (r.status() == Status.NORMAL && r.primary() == node.id) {
            Integer previous = primaryOfView.putIfAbsent(r.view(), node.id);
            if (previous != null && previous != node.id) {
                fail("two primaries in view " + r.view() + ": " + previous + " and " + node.id);
            }
            if (previous == null) {
                boolean newest = r.view() > highestViewStarted;
                viewChanges += r.view() > 0 ? 1 : 0;
                highestViewStarted = Math.max(highestViewStarted, r.view());
                log("replica " + node.id + " is primary of view " + r.view());
                // VR's invariant: a view starts with every operation committed before it (also those an old primary
                // commits late: a quorum acknowledged them before it moved on, so they are in the chosen log). Only
                // for the newest view: a replica may restart from its disk as the primary of an old view it had
                // started (unseen here, it crashed at once), stale until it learns of the newer ones.
                LogEntry last = committed.get(maxCommit);
                if (newest && maxCommit > 0 && last != null && !holds(node, maxCommit, last)) {
                    fail("replica " + node.id + " started view " + r.view() + " without committed op " + maxCommit + " (" + last
                            + "): its log ends at op " + r.opNumber() + (r.opNumber() >= maxCommit && r.opNumber() >= r.logStart()
                            && maxCommit >= r.logStart() ? " with " + r.entry(maxCommit) + " there" : ""));
                }
            }
        }
        if (logChanged || commitGrew) checkHeld();
    }

    private void checkAgreement(Node node, LogEntry entry) {
        LogEntry first = committed.putIfAbsent(entry.op(), entry);
        if (first != null && !first.equals(entry)) {
            fail("agreement violated: replica " + node.id + " committed " + entry + " at op " + entry.op() + " but " + first + " was committed before");
        }
    }

    /** An operation answered OK is the one committed at the op-number the answer names. */
    private void checkAcknowledged(Node node, Effects.Reply reply) {
        LogEntry entry = committed.get(reply.op());
        if (entry == null) {
            fail("replica " + node.id + " acknowledged request " + reply.requestNumber() + " of client " + reply.clientId()
                    + " at op " + reply.op() + ", but no replica committed op " + reply.op());
        } else if (entry.clientId() != reply.clientId() || entry.requestNumber() != reply.requestNumber()) {
            fail("replica " + node.id + " acknowledged request " + reply.requestNumber() + " of client " + reply.clientId()
                    + " at op " + reply.op() + ", but op " + reply.op() + " committed " + entry);
        }
        acknowledged++;
        highestAcknowledgedOp = Math.max(highestAcknowledgedOp, reply.op());
    }

    /**
     * The highest committed operation must still be held by at least {@code quorum - L} replicas, L being the
     * replicas without memory now. Held means: in the replica's log (the same entry), in its checkpoint, or, for
     * a down replica, on the disk it would restart from. Logs are contiguous and two logs that hold the same
     * entry (view and op) agree on everything before it (VR's normal case appends in order, view changes and
     * state transfer copy a started view's log), so holding the highest committed operation means holding every
     * one before it.
     *
     * <p>A correct VR replica never gives up a committed entry: it replaces its log only with a started view's
     * log, which holds every committed operation, and it drops uncommitted ones only beyond that log's end. A
     * replica that lost its memory (diskless crash, corrupt or wiped disk, recovering) holds nothing and lowers the
     * bar by one, since the protocol tolerates up to f of them; a replica that is behind but lost nothing simply is
     * not a holder. So the count can fall below the bar only when a replica discarded a committed operation.
     */
    private void checkHeld() {
        long target = maxCommit;
        heldCheckedAt = target;
        if (target == 0) return;
        LogEntry want = committed.get(target);
        if (want == null) return; // committed only inside a checkpoint we never saw applied: cannot happen in a fresh run
        int lost = 0;
        int holders = 0;
        for (Node node : nodes) {
            if (lostMemory(node.id)) lost++;
            else if (holds(node, target, want)) holders++;
        }
        int needed = baseConfig.quorum() - lost;
        if (holders < needed) {
            StringBuilder who = new StringBuilder();
            for (Node node : nodes) {
                who.append(" ").append(node.id).append(lostMemory(node.id) ? ":lost" : holds(node, target, want) ? ":holds" : ":lacks");
            }
            fail("committed op " + target + " (" + want + ") is held by " + holders + " replicas, fewer than quorum "
                    + baseConfig.quorum() + " - " + lost + " without memory = " + needed + ";" + who
                    + " (" + acknowledged + " acknowledged ops, highest " + highestAcknowledgedOp + ")");
        }
    }

    private boolean holds(Node node, long op, LogEntry want) {
        if (node.up()) {
            Replica r = node.replica;
            if (r.checkpoint() != null && r.checkpoint().op() >= op) return true;
            return op >= r.logStart() && op <= r.opNumber() && want.equals(r.entry(op));
        }
        ReplicaStore.Loaded disk = node.diskWhileDown;
        if (disk == null || disk.empty() || disk.corrupt()) return false;
        long base = disk.checkpoint() == null ? 0 : disk.checkpoint().op();
        if (op <= base) return true;
        return op - base <= disk.log().size() && want.equals(disk.log().get((int) (op - base - 1)));
    }

    public void fail(String what) {
        throw new AssertionError("seed " + seed + ", tick " + now + ": " + what + "\n" + describe());
    }

    // ------------------------------------------------------------------------------------------------
    // Faults: crashes and restarts.

    /** Crashes replica {@code id} by power loss: memory gone, unsynced writes lost, messages to it dropped. */
    public void crash(int id) {
        crashNow(nodes[id], CrashKind.POWER_LOSS);
    }

    /** Crashes replica {@code id}; {@code kind} says what happens to its unsynced writes. */
    public void crash(int id, CrashKind kind) {
        crashNow(nodes[id], kind);
    }

    /** Crashes replica {@code id} in the middle of its next persisting step (within a storage call, or after them before sending). */
    public void crashDuringNextPersist(int id) {
        nodes[id].crashDuringNextPersist = true;
    }

    /** With {@code on}, crashes in the middle of a write and fail-stops may also be process crashes (unsynced bytes kept). */
    public void setMixedCrashKinds(boolean on) {
        mixedCrashKinds = on;
    }

    private CrashKind midWriteCrashKind() {
        return mixedCrashKinds ? anyCrashKind() : CrashKind.TORN;
    }

    private CrashKind anyCrashKind() {
        return CrashKind.values()[random.nextInt(CrashKind.values().length)];
    }

    private void crashNow(Node node, CrashKind kind) {
        if (!node.up()) return;
        log("crash " + node.id + " (" + kind + ")");
        if (node.replica.status() == Status.RECOVERING) node.untrustedDisk = true;
        node.replica = null;
        node.pausedUntil = -1;
        node.inbox.clear();
        node.crashDuringNextPersist = false;
        node.storage.crash(random, kind);
        network.dropInFlight(node.id);
        checkedCommit[node.id] = 0;
        if (options.durable()) lookAtDisk(node);
        checkHeld();
    }

    /** Notes what a restart of down replica {@code node} would load (on a copy of its disk). */
    private void lookAtDisk(Node node) {
        SimStorage copy = node.storage.copy();
        try {
            node.diskWhileDown = new ReplicaStore(copy).load();
        } catch (IOException e) {
            throw new AssertionError("a copy of a simulated disk failed to load", e);
        }
        node.damagedWhileDown = copy.damaged();
    }

    /**
     * Restarts replica {@code id}. In durable mode it reloads its disk (recovering from peers if the disk is
     * empty or corrupt); in diskless mode it has lost everything and runs the Recovery protocol. If its disk
     * fails while it starts, it stays down.
     */
    public void restart(int id) {
        Node node = nodes[id];
        if (node.up()) throw new IllegalStateException("replica " + id + " is running");
        node.incarnation++;
        node.kv = new SimKv(id);
        node.store = new ReplicaStore(node.storage);
        node.clockCredit = 0;
        Replica replica;
        if (!options.durable()) {
            node.storage.wipe();
            replica = Replica.recover(config(id), node.kv, replicaRandom(node), election());
            log("restart " + id + " diskless: recovering");
        } else {
            boolean damaged = node.storage.damaged();
            ReplicaStore.Loaded loaded;
            try {
                loaded = node.store.load();
            } catch (IOException | SimStorage.CrashPoint e) {
                failedRestarts++;
                log("restart " + id + " fails: storage: " + e.getMessage() + "; stays down");
                return;
            }
            boolean outside = node.outsideContract || nonAtomicReplace;
            if (loaded.corrupt() && !damaged && !node.untrustedDisk && !outside) {
                fail("replica " + id + "'s disk loads as corrupt (" + loaded.problem() + "), but only faults within the"
                        + " DurableStorage contract (crashes, failed calls) hit it since it was last trusted");
            }
            // Damage inside a torn tail is legitimately dropped with it (load cuts the tail off); any other must be noticed.
            // log-next is the exception: a stale one (its replace or delete lost) names another checkpoint and is
            // rightly ignored; one that matters is checked by its header CRC, its records' CRCs and the hash chain.
            boolean onlyNextLog = node.storage.damagedFiles().stream().allMatch(f -> f.startsWith(ReplicaStore.NEXT_LOG_FILE + " "));
            if (!loaded.corrupt() && node.storage.damaged() && !onlyNextLog) {
                fail("replica " + id + "'s disk was damaged (" + node.storage.damagedFiles() + ": lost, misdirected or flipped"
                        + " bytes), but ReplicaStore loaded it as sound: view " + loaded.view() + ", " + loaded.lastOp() + " ops");
            }
            if (loaded.empty() || loaded.corrupt()) {
                try {
                    node.store.wipe(); // a corrupt disk is not trusted at all; the peers' state replaces it
                } catch (IOException | SimStorage.CrashPoint e) {
                    failedRestarts++;
                    log("restart " + id + " fails: storage: " + e.getMessage() + " while wiping; stays down");
                    node.untrustedDisk = true;
                    return;
                }
                node.untrustedDisk = true;
                node.outsideContract = false;
                if (loaded.corrupt()) corruptRestarts++;
                replica = Replica.recover(config(id), node.kv, replicaRandom(node), election());
                log("restart " + id + " durable: " + (loaded.empty() ? "empty disk" : loaded.problem()) + ", recovering from peers");
            } else {
                replica = Replica.restart(config(id), node.kv, replicaRandom(node), loaded.view(), loaded.lastNormalView(),
                        loaded.checkpoint(), loaded.log(), loaded.commit(), election());
                log("restart " + id + " durable: view " + loaded.view() + ", " + loaded.lastOp() + " ops"
                        + (loaded.checkpoint() != null ? " (checkpoint at " + loaded.checkpoint().op() + ")" : "")
                        + (loaded.tornBytesDropped() > 0 ? ", dropped " + loaded.tornBytesDropped() + " torn bytes" : ""));
            }
        }
        node.replica = replica;
        node.diskWhileDown = null;
        handle(node, replica.drainStartupEffects());
    }

    // ------------------------------------------------------------------------------------------------
    // Faults: clocks and pauses.

    /** Replica {@code id}'s clock runs at {@code rate} times the simulation's (it ticks floor of the accumulated rate each tick). */
    public void setClockRate(int id, double rate) {
        nodes[id].clockRate = rate;
    }

    public double clockRate(int id) {
        return nodes[id].clockRate;
    }

    /** Pauses replica {@code id} for {@code ticks}: it neither ticks nor handles messages; what arrives waits for it. */
    public void pause(int id, int ticks) {
        Node node = nodes[id];
        if (!node.up() || node.paused()) return;
        node.pausedUntil = now + ticks;
        pauses++;
        log("pause " + id + " for " + ticks + " ticks");
    }

    public boolean paused(int id) {
        return nodes[id].paused();
    }

    // ------------------------------------------------------------------------------------------------
    // Faults: storage.

    /** Flips a bit in replica {@code id}'s synced log (it is read only at the next restart). */
    public boolean corruptLog(int id) {
        boolean done = nodes[id].storage.corrupt("log", random);
        if (done) damageChanged(nodes[id], "corrupt log of " + id);
        return done;
    }

    /** Flips a bit of a synced byte of a random file of replica {@code id} (view state, checkpoint or log). */
    public boolean corruptAnyFile(int id) {
        String name = nodes[id].storage.corruptAny(random);
        if (name != null) damageChanged(nodes[id], "corrupt " + name + " of " + id);
        return name != null;
    }

    /** The next write of replica {@code id} reports success but never lands (detectable: zeros where it should be). */
    public void loseNextWrite(int id) {
        nodes[id].storage.loseNextWrite();
        log("arm lost write on " + id);
    }

    /** The next write of replica {@code id} lands elsewhere, over other bytes of its files (detectable). */
    public void misdirectNextWrite(int id) {
        nodes[id].storage.misdirectNextWrite();
        log("arm misdirected write on " + id);
    }

    /** The next append, replace, truncate or delete of replica {@code id} fails with an IOException: it fail-stops. */
    public void failNextWrite(int id) {
        nodes[id].storage.failNextWrite();
        log("arm write error on " + id);
    }

    /** The next fsync of replica {@code id} fails with an IOException: it fail-stops. */
    public void failNextSync(int id) {
        nodes[id].storage.failNextSync();
        log("arm fsync error on " + id);
    }

    /** Replica {@code id}'s disk is full (every growing write fails) or has room again. */
    public void setDiskFull(int id, boolean full) {
        if (nodes[id].storage.full() == full) return;
        nodes[id].storage.setFull(full);
        log("disk of " + id + (full ? " full" : " has room again"));
    }

    /**
     * Undetectable by design: the next {@code count} fsyncs of replica {@code id} lie (Integer.MAX_VALUE: until it
     * crashes); whatever they should have made durable vanishes at a power loss, whole records at the log's tail.
     */
    public void lieOnNextSyncs(int id, int count) {
        nodes[id].storage.lieOnNextSyncs(count);
        nodes[id].outsideContract = true;
        log("arm " + (count == Integer.MAX_VALUE ? "" : count + " ") + "lying fsyncs on " + id);
    }

    /** Undetectable by design: the next replace of replica {@code id} is silently lost (the old content survives a crash). */
    public void loseNextReplaceSilently(int id) {
        nodes[id].storage.loseNextReplaceSilently();
        nodes[id].outsideContract = true;
        log("arm silently lost replace on " + id);
    }

    /** Outside the DurableStorage contract: replace, truncate and delete are not atomic nor durable until the file is synced. */
    public void setNonAtomicReplace(boolean on) {
        nonAtomicReplace = on;
        for (Node node : nodes) node.storage.setNonAtomicReplace(on);
    }

    private void damageChanged(Node node, String event) {
        log(event);
        if (!node.up() && options.durable()) lookAtDisk(node);
        checkHeld();
    }

    /**
     * True when replica {@code id} holds no trustworthy state: recovering, or down with an empty, corrupt or
     * damaged disk (or any disk in diskless mode). More than f of these at once cannot be recovered safely.
     */
    public boolean lostMemory(int id) {
        Node node = nodes[id];
        if (node.up()) return node.replica.status() == Status.RECOVERING;
        if (!options.durable() || node.untrustedDisk || node.damagedWhileDown) return true;
        ReplicaStore.Loaded disk = node.diskWhileDown;
        return disk == null || disk.empty() || disk.corrupt();
    }

    /**
     * True when replica {@code id} lost its memory or would lose it by crashing now: its disk is damaged, a
     * destructive storage fault is armed on it, or an undetectable fault hit it since its disk was last wiped. Destructive faults are injected only while fewer than f replicas
     * are at risk.
     */
    public boolean atRisk(int id) {
        Node node = nodes[id];
        return lostMemory(id) || options.durable() && (node.storage.damaged() || node.storage.destructiveFaultArmed() || node.outsideContract);
    }

    /** True when replica {@code id} is down with a corrupt or damaged disk that no recovery has rewritten yet. */
    public boolean downWithCorruptLog(int id) {
        return !nodes[id].up() && lostMemory(id);
    }

    /** Asks the serving primary to hand over to {@code target} (maintenance switch-over); false if there is none. */
    public boolean transferLeadership(int target) {
        int primary = servingPrimary();
        if (primary < 0 || primary == target || !nodes[target].up() || nodes[primary].paused()) return false;
        log("transfer leadership " + primary + " -> " + target);
        handle(nodes[primary], nodes[primary].replica.transferLeadership(target));
        return true;
    }

    public void cut(int a, int b) { network.cut(a, b); log("cut " + a + " <-> " + b); }
    public void cutOneWay(int from, int to) { network.cutOneWay(from, to); log("cut " + from + " -> " + to); }
    public void restore(int a, int b) { network.restore(a, b); log("restore " + a + " <-> " + b); }
    public void isolate(int id) { network.isolate(id); log("isolate " + id); }
    public void onlyLinks(int[][] pairs) { network.onlyLinks(pairs); log("only links " + java.util.Arrays.deepToString(pairs)); }

    /**
     * Ends every fault: network cuts, loss, duplication and long delays; pauses; full disks and armed storage
     * faults (damage already done stays); crashes armed for a replica's next write. Clock rates stay.
     */
    public void heal() {
        network.healAll();
        network.setFaults(0, 0, 1, 2);
        network.setLongDelays(0, 100, 800);
        for (Node node : nodes) {
            node.crashDuringNextPersist = false;
            node.storage.setFull(false);
            node.storage.disarm();
            if (node.up() && node.pausedUntil >= 0) resume(node);
        }
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
    public SimStorage storage(int id) { return nodes[id].storage; }

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
    /** Operations acknowledged OK to clients (each answer counted). */
    public long acknowledgedOps() { return acknowledged; }
    /** Nodes stopped because a storage call failed. */
    public long storageFailStops() { return storageFailStops; }
    /** How often each kind of fault struck in this run (for a summary over many seeds). */
    public Map<String, Long> faultCounts() {
        TreeMap<String, Long> m = new TreeMap<>();
        for (Node node : nodes) {
            SimStorage s = node.storage;
            m.merge("storage write errors", s.writeErrors, Long::sum);
            m.merge("storage fsync errors", s.syncErrors, Long::sum);
            m.merge("full-disk write errors", s.fullErrors, Long::sum);
            m.merge("lost writes", s.lostWrites, Long::sum);
            m.merge("misdirected writes", s.misdirectedWrites, Long::sum);
            m.merge("bit flips", s.bitFlips, Long::sum);
            m.merge("lying fsyncs", s.liedSyncs, Long::sum);
            m.merge("silently lost replaces", s.silentlyLostReplaces, Long::sum);
        }
        m.put("storage fail-stops", storageFailStops);
        m.put("crashes in the middle of a storage call", midWriteCrashes);
        m.put("restarts that found a corrupt disk", corruptRestarts);
        m.put("restarts that failed on storage", failedRestarts);
        m.put("pauses", pauses);
        m.put("messages long-delayed", network.longDelayed);
        m.put("messages dropped as oversize", network.oversizeDropped);
        oversizeByType.forEach((type, count) -> m.put("messages dropped as oversize: " + type, count));
        m.put("view changes", viewChanges);
        m.put("ticks", now);
        m.put("messages sent", network.sent);
        return m;
    }

    /** Messages dropped for exceeding the transport's size, by message type. */
    public Map<String, Long> oversizeByType() { return oversizeByType; }

    /** Checks that every replica that is up and normal holds every op committed anywhere up to its commit, and that states match. */
    public void checkConverged() {
        long max = committedOps();
        for (Node node : nodes) {
            if (!node.up()) continue;
            Replica r = node.replica;
            if (r.status() != Status.NORMAL) fail("replica " + node.id + " not normal after convergence: " + r);
            if (r.commitNumber() != max) fail("replica " + node.id + " commit " + r.commitNumber() + " != cluster's " + max);
            for (long op = r.logStart(); op <= r.commitNumber(); op++) checkAgreement(node, r.entry(op));
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
                    .append(node.up() && !node.replica.refusal().isEmpty() ? " (" + node.replica.refusal() + ")" : "")
                    .append(node.paused() ? " paused until " + node.pausedUntil : "")
                    .append(node.clockRate != 1 ? String.format(" clock x%.2f", node.clockRate) : "");
            SimStorage s = node.storage;
            if (options.durable()) {
                b.append(" disk:").append(s.damaged() ? " damaged " + s.damagedFiles() : "").append(s.full() ? " full" : "")
                        .append(node.untrustedDisk ? " untrusted" : "").append(lostMemory(node.id) ? " (lost memory)" : "");
                if (s.writeErrors + s.syncErrors + s.fullErrors + s.lostWrites + s.misdirectedWrites + s.bitFlips + s.crashPoints
                        + s.liedSyncs + s.silentlyLostReplaces > 0) {
                    b.append(" faults[write ").append(s.writeErrors).append(", fsync ").append(s.syncErrors).append(", full ")
                            .append(s.fullErrors).append(", lost ").append(s.lostWrites).append(", misdirected ").append(s.misdirectedWrites)
                            .append(", flips ").append(s.bitFlips).append(", mid-call crashes ").append(s.crashPoints)
                            .append(", lying fsyncs ").append(s.liedSyncs).append(", silently lost replaces ").append(s.silentlyLostReplaces).append(']');
                }
            }
            b.append('\n');
        }
        b.append("  committed ops: ").append(committedOps()).append(", view changes: ").append(viewChanges)
                .append(", clients answered: ").append(history.completedOk()).append(", acknowledged ops: ").append(acknowledged)
                .append(" (highest ").append(highestAcknowledgedOp).append("), storage fail-stops: ").append(storageFailStops).append('\n');
        b.append("  network: ").append(network.describe()).append(oversizeByType.isEmpty() ? "" : " " + oversizeByType).append('\n');
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
        /** How often the current request was handed to a replica (a copy may be in a log for each). */
        int sends;
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
            sends = 0;
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
            sends++;
            Request request = new Request(clientId, requestNumber, command);
            if (node.paused()) {
                node.inbox.add(request); // the process is paused: the request waits in its socket
                return;
            }
            handle(node, node.replica.submit(request));
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
                case EVICTED, STALE_REQUEST -> {
                    // The session was evicted (STALE: and a late copy of its registration registered the id again,
                    // numbered above this request): the request did not run at the op that judged it. Sent once, that
                    // was its only copy, so it did not run at all (as PartRuntime reports); sent more often, an earlier
                    // copy may have run, so its outcome stays unknown (pending in the history).
                    if (historyId >= 0 && sends == 1) history.failed(historyId, now);
                    historyId = -1;
                    clientId += 1_000;
                    requestNumber = 0;
                    registered = false;
                }
                case BUSY -> {
                    sends--; // not appended: that try left no copy in any log
                    resendNow = true; // retry at the same replica on the next tick
                }
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

    /** Hands a message straight to replica {@code to}, for scripted message-level tests. */
    public void inject(int from, int to, Message message) {
        Node node = nodes[to];
        if (node.up()) handle(node, node.replica.step(from, message));
    }
}
