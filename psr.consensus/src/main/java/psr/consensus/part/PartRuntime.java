package psr.consensus.part;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import psr.api.osal.DurableStorageProvider;
import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;
import psr.api.state.Change;
import psr.api.state.ChangeListener;
import psr.api.state.KeyChange;
import psr.api.state.NotPrimaryException;
import psr.api.state.Operation;
import psr.api.state.OperationResult;
import psr.api.state.OutcomeUnknownException;
import psr.api.state.PartState;
import psr.api.state.PartStatus;
import psr.api.state.PeerStatus;
import psr.api.state.PrimaryTask;
import psr.api.state.ReadConsistency;
import psr.api.state.Role;
import psr.api.state.Serving;
import psr.api.state.Snapshot;
import psr.api.state.StateFollower;
import psr.api.state.StateException;
import psr.api.state.Value;
import psr.api.transport.Transport;
import psr.consensus.codec.CodecException;
import psr.consensus.codec.MessageCodec;
import psr.consensus.core.Effects;
import psr.consensus.core.Effects.Outcome;
import psr.consensus.core.LogEntry;
import psr.consensus.core.Message;
import psr.consensus.core.Replica;
import psr.consensus.core.ReplicaEvent;
import psr.consensus.core.Request;
import psr.consensus.core.Status;
import psr.consensus.store.ReplicaStore;

/**
 * Runs one replica of one part: the {@link Replica} core on an OSAL event loop, its durable state in an OSAL
 * storage directory, its messages over a {@link Transport}, and the {@link PartState} service on top.
 *
 * <p><b>Threads.</b> Everything that touches the core runs on the part's event loop. Callers of
 * {@link PartState} never block; their stages complete on the part's delivery thread, which also calls the
 * {@link ChangeListener}s, in op-number order. Primary tasks run on the part's task thread.
 *
 * <p><b>Transport framing.</b> The first byte of every transport message says what follows: 0 a replica
 * message ({@link MessageCodec}), 1 a request forwarded to the primary, 2 the primary's answer to one.
 */
public final class PartRuntime implements PartState {

    /** Where the runtime reports what an operator should know. */
    public interface Log {
        void info(String message);

        void warn(String message);

        void error(String message, Throwable cause);
    }

    static final byte FRAME_REPLICA = 0, FRAME_FORWARD = 1, FRAME_FORWARD_REPLY = 2;
    private static final byte[] NO_COMMAND = new byte[0];
    static final String TASK_PREFIX = "$task/";
    private static final int SESSIONS = 64;

    /** Replaced only by {@link #applyWithoutRestart}, and then only in its request-serving properties. */
    private volatile PartSettings settings;
    private volatile String cluster;
    private final Transport transport;
    private final EventLoops loops;
    private final DurableStorageProvider storageProvider;
    private final Log log;
    private final ReplicaEventLog eventLog;
    /** Kicked every tick when the node has a watchdog service (see {@link #watchWith}). */
    private volatile psr.api.osal.Watchdogs.Watchdog watchdog;
    /** Since when {@link #cannotCommitNow()} has said why nothing can commit here (-1: it has not). Loop thread. */
    private long cannotCommitSinceTick = -1;
    private final MessageCodec codec;
    private final psr.consensus.core.ReplicaConfig replicaConfig;
    /** The largest command (encoded operation) accepted: a quarter of the message budget. */
    private final int maxCommandBytes;
    private final PartStateMachine stateMachine = new PartStateMachine();
    private final CopyOnWriteArrayList<ChangeListener> listeners = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<TaskBinding> tasks = new CopyOnWriteArrayList<>();
    /** Added and read on the loop thread (so a snapshot and the change stream after it agree); removed from any thread. */
    private final CopyOnWriteArrayList<FollowerBinding> followers = new CopyOnWriteArrayList<>();
    private final Random random = new Random();
    private final AtomicLong transportDrops = new AtomicLong();

    // Loop-only state.
    private EventLoop loop;
    private EventLoop.Timer tickTimer;
    private Transport.Registration registration;
    private DurableStorageProvider.OpenStorage storage;
    private ReplicaStore store;
    private Replica replica;
    private long ticks;
    private long replayUntilOp;
    /** The view in which followers were last told this replica serves, or -1 while it does not. */
    private long servingView = -1;
    /** The view this replica was last seen leading, and its op-number then: it serves followers once that is applied. */
    private long leadingView = -1, leadingViewStartOp;
    private final Session[] sessions = new Session[SESSIONS];
    private final java.util.ArrayDeque<Pending> waiting = new java.util.ArrayDeque<>();
    /** True while {@link #drainWaiting} hands free sessions out: a request failed on the way must not start another round. */
    private boolean draining;
    private final HashMap<RequestKey, Pending> pending = new HashMap<>();
    private final HashMap<RequestKey, Integer> forwardedFrom = new HashMap<>();

    private final ExecutorService delivery;
    private final ExecutorService taskThread;
    private volatile PartStatus status;
    private volatile boolean stopped;
    /** Set on the loop thread the moment storage fails: from then on nothing this replica does may leave it. */
    private volatile boolean halted;
    /** Whether the replica's applied state is at least what it had before it restarted (see Replica.localStateCurrent). */
    private volatile boolean localStateCurrent;
    private volatile String failure = "";

    private record RequestKey(long clientId, long requestNumber) {}

    /**
     * A client session: one request outstanding at a time, so the client table gives at-most-once execution. Its
     * first request through the log registers it ({@link LogEntry#REGISTER}); an evicted session starts over under
     * a new id, but the request that found it evicted is failed, never resubmitted.
     */
    private final class Session {
        long clientId = newClientId();
        long requestNumber;
        boolean registered;
        Pending current;

        void startOver() {
            clientId = newClientId();
            requestNumber = 0;
            registered = false;
        }
    }

    private final class Pending {
        final byte[] command;
        final CompletableFuture<Effects.Reply> future = new CompletableFuture<>();
        final long deadlineTick;
        Session session;
        long requestNumber;
        /** True while the session this request waits on is being registered (the request itself not yet sent). */
        boolean registering;
        boolean everSent;
        /** How often the request itself was handed to a primary: once means at most one copy can be in the log. */
        int sends;
        long lastSentTick = Long.MIN_VALUE / 2;
        String lastProblem = "";

        Pending(byte[] command) {
            this.command = command;
            this.deadlineTick = ticks + settings.ticks(settings.requestTimeoutMs());
        }

        RequestKey key() {
            return new RequestKey(session.clientId, requestNumber);
        }
    }

    /** A primary-only task bound to this part. */
    public static final class TaskBinding {
        final String name;
        final PrimaryTask task;
        final int periodMs;
        long nextDueTick;
        volatile boolean running;

        public TaskBinding(String name, PrimaryTask task, int periodMs) {
            if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException("primary task property psr.task = '" + name + "' is not allowed: expected 1 to 64 characters from A-Z a-z 0-9 . - _");
            }
            if (periodMs < 10) {
                throw new IllegalArgumentException("primary task " + name + ": psr.task.period.ms = " + periodMs + " is not allowed: expected at least 10");
            }
            this.name = name;
            this.task = task;
            this.periodMs = periodMs;
        }
    }

    public PartRuntime(PartSettings settings, Transport transport, EventLoops loops, DurableStorageProvider storageProvider, Log log) {
        this.settings = settings;
        this.transport = transport;
        this.loops = loops;
        this.storageProvider = storageProvider;
        this.log = log;
        this.eventLog = new ReplicaEventLog(settings.part(), settings.node(), settings.replicas(), settings.tickMs());
        this.codec = new MessageCodec(MessageCodec.DEFAULT_LIMITS.withMaxMessageBytes(Math.max(MessageCodec.MIN_MESSAGE_LIMIT,
                Math.min(transport.maxMessageBytes() - 1, MessageCodec.DEFAULT_LIMITS.maxMessageBytes()))));
        // What one replica message may carry follows from what the transport carries.
        int budget = Math.max(4096, Math.min(512 * 1024, codec.limits().maxMessageBytes() / 2));
        this.replicaConfig = settings.replicaConfig().withMessageBudget(budget);
        this.maxCommandBytes = Math.min(budget / 4, codec.limits().maxCommandBytes());
        this.delivery = Executors.newSingleThreadExecutor(r -> daemon(r, "psr-" + settings.part() + "-delivery"));
        this.taskThread = Executors.newSingleThreadExecutor(r -> daemon(r, "psr-" + settings.part() + "-tasks"));
        this.status = new StateValues.PartStatusValue(settings.part(), settings.node(), Role.STOPPED, 0, -1, false, List.of(), 0, 0, 0, "starting", 0);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ------------------------------------------------------------------------------------------------
    // Life cycle.

    /**
     * The cluster the transport belongs to (its {@code psr.cluster} service property), recorded in and checked against
     * the storage directory's owner file. Call before {@link #start}; without it the cluster is not checked.
     */
    public void cluster(String id) {
        this.cluster = id;
    }

    /** Opens storage, starts the replica on a new event loop and registers with the transport. */
    public void start() throws IOException {
        Replica r;
        Random replicaRandom = new Random(random.nextLong());
        String how;
        if (settings.durability() == PartSettings.Durability.DURABLE) {
            storage = storageProvider.open(settings.storageDirectory());
            store = new ReplicaStore(storage);
            ReplicaStore.Loaded loaded;
            try {
                StorageOwner.claim(storage, settings.storageDirectory(), settings.part(), settings.node(), cluster);
                loaded = store.load();
            } catch (IOException | RuntimeException e) {
                storage.close();
                throw e;
            }
            if (loaded.corrupt()) {
                store.wipe(); // nothing of it is trusted; the peers' state replaces it
                r = Replica.recover(replicaConfig, stateMachine, replicaRandom);
                how = "storage corrupt (" + loaded.problem() + "): recovering the state from the other replicas";
                log.warn("part " + settings.part() + ": " + how);
            } else if (loaded.empty()) {
                if (settings.startMode() == PartSettings.StartMode.RECOVER) {
                    r = Replica.recover(replicaConfig, stateMachine, replicaRandom);
                    how = "empty storage, start.mode=recover: recovering the state from the other replicas";
                } else {
                    r = Replica.bootstrap(replicaConfig, stateMachine, replicaRandom);
                    how = "empty storage: starting a new group";
                }
            } else {
                r = Replica.restart(replicaConfig, stateMachine, replicaRandom, loaded.view(), loaded.lastNormalView(),
                        loaded.checkpoint(), loaded.log(), loaded.commit());
                replayUntilOp = loaded.lastOp();
                how = "restarted from storage: view " + loaded.view() + ", " + loaded.lastOp() + " operations"
                        + (loaded.checkpoint() != null ? " (checkpoint at op " + loaded.checkpoint().op() + ")" : "")
                        + (loaded.tornBytesDropped() > 0 ? ", " + loaded.tornBytesDropped() + " torn bytes of an unsynced write dropped" : "");
            }
        } else if (settings.startMode() == PartSettings.StartMode.NEW_GROUP) {
            r = Replica.bootstrap(replicaConfig, stateMachine, replicaRandom);
            how = "diskless, start.mode=new-group: starting a new group";
        } else {
            r = Replica.recover(replicaConfig, stateMachine, replicaRandom);
            how = "diskless: recovering the state from the other replicas";
        }
        replica = r;
        // The status says what the replica is from the start (not "starting" with no primary until the first tick):
        // nothing else touches the replica yet, and the service is registered only after start() returns.
        updateStatus();
        loop = loops.create("psr-" + settings.part(), settings.priority(), this::onLoopError);
        Effects startup = r.drainStartupEffects();
        loop.execute(() -> handle(startup));
        registration = transport.register(settings.part(), this::onTransportMessage);
        tickTimer = loop.scheduleAtFixedRate(this::onTick, settings.tickMs(), settings.tickMs(), TimeUnit.MILLISECONDS);
        for (int i = 0; i < SESSIONS; i++) sessions[i] = new Session();
        log.info("part " + settings.part() + " on node " + settings.node() + " of " + settings.replicas() + ": " + how);
    }

    /**
     * A planned stop (the consensus bundle updated, the controller shut down): when this replica is the serving primary
     * and a peer is connected, it hands the part over first (leadership transfer, at most two election timeouts), so
     * the part's clients and the plant see a switch-over rather than a failover. Blocks the caller for that long at most.
     */
    public void handOverBeforeStop() {
        PartStatus s = status;
        if (stopped || s == null || s.role() != Role.PRIMARY) return;
        int target = -1;
        for (PeerStatus peer : s.peers()) {
            if (peer.connected()) {
                target = peer.node();
                break;
            }
        }
        if (target < 0) return;
        try {
            int leader = transferPrimary(target).toCompletableFuture().get(2L * settings.electionTimeoutMs() + 1000, TimeUnit.MILLISECONDS);
            log.info("part " + settings.part() + " node " + settings.node() + ": stopping; handed the part over to node " + leader + " first");
        } catch (java.util.concurrent.ExecutionException e) {
            log.warn("part " + settings.part() + " node " + settings.node() + ": stopping as primary without a hand-over: " + e.getCause().getMessage());
        } catch (java.util.concurrent.TimeoutException e) {
            log.warn("part " + settings.part() + " node " + settings.node() + ": stopping as primary; the hand-over to node " + target + " did not finish in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Watches the replica's event loop with {@code watchdogs} (optional; call after {@link #start}): each tick kicks it,
     * and a loop that runs no tick for {@code max(1 s, election timeout)} (a stuck or very long task, a large checkpoint)
     * is reported once per stall, because then the replica answers nobody and its peers will hold a view change.
     */
    public void watchWith(psr.api.osal.Watchdogs watchdogs) {
        long timeoutMs = Math.max(1000, settings.electionTimeoutMs());
        watchdog = watchdogs.start("psr-" + settings.part(), timeoutMs, TimeUnit.MILLISECONDS,
                () -> log.warn("part " + settings.part() + " node " + settings.node() + ": the replica's event loop ran no tick for "
                        + timeoutMs + " ms (a long task on it, e.g. a checkpoint of a large state, or a stuck one); its peers"
                        + " stop hearing it"));
    }

    /** Stops the replica. Durable state stays; callers still waiting get a {@link StateException}. */
    public void stop() {
        if (stopped) return;
        stopped = true;
        if (registration != null) registration.close();
        if (tickTimer != null) tickTimer.cancel();
        psr.api.osal.Watchdogs.Watchdog w = watchdog;
        if (w != null) w.close();
        CompletableFuture<Void> drained = new CompletableFuture<>();
        if (loop != null) {
            loop.execute(() -> {
                failAll(new StateException("part " + settings.part() + " stopped"));
                if (servingView >= 0) announceServing(false);
                drained.complete(null);
            });
            try {
                drained.get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the loop is stuck or already closed; close() below bounds the wait
            }
            loop.close();
        }
        delivery.shutdown();
        taskThread.shutdownNow();
        try {
            delivery.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (storage != null) {
            try {
                storage.close();
            } catch (IOException e) {
                log.warn("part " + settings.part() + ": closing storage: " + e.getMessage());
            }
        }
        PartStatus s = status;
        status = new StateValues.PartStatusValue(s.part(), s.node(), Role.STOPPED, s.view(), s.primaryNode(), false, List.of(), s.opNumber(),
                s.commitNumber(), 0, failure.isEmpty() ? "stopped" : failure, s.droppedMessages());
    }

    /**
     * Takes over a changed configuration whose differences are all in {@link PartSettings#APPLIED_WITHOUT_RESTART}
     * (request timeout, forwarding): requests from now on use them; those waiting keep their deadline. Any thread.
     *
     * @throws IllegalArgumentException naming the properties when anything else differs (that needs a restart)
     */
    public void applyWithoutRestart(PartSettings updated) {
        List<String> changed = PartSettings.changedProperties(settings, updated);
        List<String> needRestart = new ArrayList<>(changed);
        needRestart.removeAll(PartSettings.APPLIED_WITHOUT_RESTART);
        if (!needRestart.isEmpty()) throw new IllegalArgumentException("changing " + needRestart + " needs a restart of the replica");
        settings = updated;
    }

    public PartSettings settings() {
        return settings;
    }

    public void addListener(ChangeListener l) { listeners.add(l); }
    public void removeListener(ChangeListener l) { listeners.remove(l); }
    public void addTask(TaskBinding t) { tasks.add(t); }

    public void removeTask(PrimaryTask task) {
        tasks.removeIf(t -> t.task == task);
    }

    /** Messages the transport handed us that could not be decoded. */
    public long undecodableMessages() {
        return transportDrops.get();
    }

    private void onLoopError(Throwable t) {
        log.error("part " + settings.part() + ": unexpected error on the replica's event loop; stopping this replica", t);
        failure = "failed: " + t;
        Thread stopper = new Thread(this::stop, "psr-" + settings.part() + "-stop");
        stopper.setDaemon(true);
        stopper.start();
    }

    // ------------------------------------------------------------------------------------------------
    // PartState.

    @Override
    public String part() {
        return settings.part();
    }

    @Override
    public CompletionStage<OperationResult> submit(Operation operation) {
        byte[] command = PartCommand.encode(operation);
        return send(command).thenApply(reply -> {
            String malformed = PartStateMachine.malformedReason(reply.result());
            if (malformed != null) throw new StateException("part " + settings.part() + ": operation rejected as malformed: " + malformed);
            String failedKey = PartStateMachine.failedKey(reply.result());
            return new StateValues.OperationResultValue(failedKey == null, reply.op(), reply.view(), failedKey);
        });
    }

    @Override
    public CompletionStage<Optional<Value>> read(String key, ReadConsistency consistency) {
        Operation.checkKey(key);
        if (consistency == ReadConsistency.LOCAL) {
            if (!localStateCurrent) return CompletableFuture.failedFuture(localStateBehind());
            return CompletableFuture.completedFuture(Optional.ofNullable(stateMachine.get(key)));
        }
        return send(PartCommand.encodeRead(key)).thenApply(reply -> {
            try {
                return Optional.ofNullable(PartStateMachine.readValue(reply.result()));
            } catch (PartCommand.MalformedCommand e) {
                throw new StateException("part " + settings.part() + ": bad read result: " + e.getMessage());
            }
        });
    }

    @Override
    public Map<String, Value> readLocal(String prefix) {
        if (!localStateCurrent) throw localStateBehind();
        return stateMachine.range(prefix == null ? "" : prefix);
    }

    private StateException localStateBehind() {
        PartStatus s = status;
        return new StateException("part " + settings.part() + ": node " + settings.node() + " restarted and has not yet applied"
                + " everything it had applied before (commit " + (s == null ? "?" : s.commitNumber()) + ", log to op "
                + (s == null ? "?" : s.opNumber()) + "); a LOCAL read now could return an older state: retry shortly or read LINEARIZABLE");
    }

    @Override
    public PartStatus status() {
        return status;
    }

    @Override
    public CompletionStage<Integer> transferPrimary(int node) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        int index = settings.indexOf(node);
        if (index < 0) {
            done.completeExceptionally(new StateException("part " + settings.part() + ": node " + node
                    + " holds no replica of it; its replicas are " + settings.replicas()));
            return done;
        }
        if (stopped) {
            done.completeExceptionally(new StateException("part " + settings.part() + " is stopped"));
            return done;
        }
        loop.execute(() -> {
            String refusal = index == replica.self() ? "that is this node"
                    : !replica.isServingPrimary() ? "node " + settings.node() + " is not the serving primary (" + leader()
                            + "); run psr:transfer on the primary's node" : null;
            if (refusal != null) {
                done.completeExceptionally(new StateException("part " + settings.part() + ": cannot transfer to node " + node + ": " + refusal));
                return;
            }
            handle(replica.transferLeadership(index));
            transfers.add(new PendingTransfer(node, done, ticks + 4L * settings.ticks(settings.electionTimeoutMs())));
        });
        return done.thenApplyAsync(n -> n, delivery);
    }

    @Override
    public Following follow(StateFollower follower) {
        java.util.Objects.requireNonNull(follower, "follower");
        if (stopped) throw new StateException("part " + settings.part() + " is stopped");
        FollowerBinding b = new FollowerBinding(follower);
        loop.execute(() -> {
            if (stopped || b.closed) return;
            // On the loop thread, between two batches: the state machine holds exactly the ops up to the commit-number,
            // and every later batch is delivered to this binding (deliver() reads the list on this thread).
            Snapshot snapshot = new StateValues.SnapshotValue(settings.part(), replica.commitNumber(), replica.view(), stateMachine.range(""));
            b.snapshotOp = snapshot.opNumber();
            followers.add(b);
            Serving now = servingNow(servingView >= 0);
            delivery.execute(() -> {
                b.call("snapshot", snapshot.opNumber(), () -> b.follower.started(snapshot));
                b.call("serving", snapshot.opNumber(), () -> b.follower.servingChanged(now));
            });
        });
        return () -> {
            b.closed = true;
            followers.remove(b);
        };
    }

    /** One follower: deliveries stop once it is closed; changes at or below its snapshot are not given to it. */
    private final class FollowerBinding {
        final StateFollower follower;
        volatile boolean closed;
        long snapshotOp; // written on the loop thread before the binding is published to deliveries

        FollowerBinding(StateFollower follower) {
            this.follower = follower;
        }

        void call(String what, long op, Runnable call) {
            if (closed) return;
            try {
                call.run();
            } catch (RuntimeException e) {
                log.error("part " + settings.part() + ": state follower " + follower.getClass().getName() + " failed on " + what + " at op " + op, e);
            }
        }
    }

    private Serving servingNow(boolean serving) {
        return new StateValues.ServingValue(settings.part(), settings.node(), serving, replica.view(), replica.commitNumber());
    }

    /**
     * Loop thread, after every batch: tells followers when this replica starts or stops serving as primary. It starts
     * only once it has applied everything its log held when it first led in this view, so that what a follower has seen
     * includes everything an earlier primary committed (and may have published).
     */
    private void updateServing() {
        boolean leading = replica.isServingPrimary();
        long view = replica.view();
        if (leading) {
            if (leadingView != view) {
                leadingView = view;
                leadingViewStartOp = replica.opNumber();
            }
            if (servingView != view && replica.commitNumber() >= leadingViewStartOp) {
                servingView = view;
                announceServing(true);
            }
        } else if (servingView >= 0) {
            servingView = -1;
            announceServing(false);
        }
    }

    private void announceServing(boolean serving) {
        if (followers.isEmpty()) return;
        Serving s = servingNow(serving);
        List<FollowerBinding> to = List.copyOf(followers);
        delivery.execute(() -> {
            for (FollowerBinding b : to) b.call("serving", s.opNumber(), () -> b.follower.servingChanged(s));
        });
    }

    private record PendingTransfer(int node, CompletableFuture<Integer> done, long deadlineTick) {}

    private final ArrayList<PendingTransfer> transfers = new ArrayList<>();

    /** Who leads, as this replica knows it, in node ids: "node 2 leads view 4", or why no one is known to. */
    private String leader() {
        Replica r = replica;
        return switch (r.status()) {
            case NORMAL -> "node " + settings.replicas().get(r.primary()) + " leads view " + r.view()
                    + (r.isServingPrimary() || r.primary() != r.self() ? "" : ", not serving: " + r.refusal());
            case VIEW_CHANGE -> "no primary known: view change to view " + r.view() + " in progress";
            case RECOVERING -> "no primary known: this node is recovering";
        };
    }

    /** Completes transfers whose successor now leads (we saw its view start) or that gave up. Loop thread. */
    private void checkTransfers() {
        if (transfers.isEmpty()) return;
        for (Iterator<PendingTransfer> it = transfers.iterator(); it.hasNext();) {
            PendingTransfer t = it.next();
            int primaryNode = settings.replicas().get(replica.primary());
            if (primaryNode == t.node() && replica.status() == Status.NORMAL) {
                t.done().complete(t.node());
                it.remove();
            } else if (ticks > t.deadlineTick() || replica.isServingPrimary() && replica.transferTarget() < 0) {
                t.done().completeExceptionally(new StateException("part " + settings.part() + ": node " + t.node()
                        + " did not take over in time; " + leader()));
                it.remove();
            }
        }
    }

    private CompletableFuture<Effects.Reply> send(byte[] command) {
        Pending p = new Pending(command);
        if (command.length > maxCommandBytes) {
            p.future.completeExceptionally(new StateException("part " + settings.part() + ": operation of " + command.length
                    + " bytes is too large: at most " + maxCommandBytes + " bytes (a quarter of what one message of the transport carries)"));
        } else if (stopped) {
            p.future.completeExceptionally(new StateException("part " + settings.part() + " is stopped"));
        } else {
            loop.execute(() -> enqueue(p));
        }
        // Complete callers' stages off the replica's loop: their code may take its time.
        return p.future.thenApplyAsync(r -> r, delivery);
    }

    // ------------------------------------------------------------------------------------------------
    // Requests (loop thread).

    private void enqueue(Pending p) {
        for (Session s : sessions) {
            if (s.current == null) {
                assign(s, p);
                dispatch(p);
                return;
            }
        }
        waiting.addLast(p);
    }

    private void assign(Session s, Pending p) {
        s.current = p;
        p.session = s;
        p.registering = !s.registered;
        p.requestNumber = p.registering ? LogEntry.REGISTER : ++s.requestNumber;
        pending.put(p.key(), p);
    }

    /** The session of {@code p} was registered at op {@code registeredAt}: now send the request itself, numbered above it. */
    private void registered(Pending p, long registeredAt) {
        pending.remove(p.key());
        Session s = p.session;
        s.registered = true;
        s.requestNumber = registeredAt;
        p.registering = false;
        p.requestNumber = ++s.requestNumber;
        pending.put(p.key(), p);
        dispatch(p);
    }

    private byte[] wireCommand(Pending p) {
        return p.registering ? NO_COMMAND : p.command;
    }

    private static void markSent(Pending p) {
        if (p.registering) return; // a registration alone cannot execute the request
        p.everSent = true;
        p.sends++;
    }

    private void dispatch(Pending p) {
        p.lastSentTick = ticks;
        if (!p.everSent) {
            String why = cannotCommit();
            if (why != null) {
                fail(p, new StateException("part " + settings.part() + ": " + why + "; not committed"));
                return;
            }
        }
        if (replica.isServingPrimary()) {
            markSent(p);
            handle(replica.submit(new Request(p.session.clientId, p.requestNumber, wireCommand(p))));
            return;
        }
        int primaryIndex = replica.primary();
        boolean primaryKnown = replica.status() == Status.NORMAL && primaryIndex != replica.self();
        if (!settings.forwardWrites()) {
            NotPrimaryException notHere = new NotPrimaryException(settings.part(), primaryKnown ? settings.replicas().get(primaryIndex) : -1,
                    "forward.writes is false");
            // Sent before (to our replica when it led, or forwarded before forwarding was switched off): it may still
            // commit there, so it must not be reported as certainly not done.
            fail(p, p.everSent ? new OutcomeUnknownException(notHere.getMessage() + "; it was sent before and may or may not have committed") : notHere);
            return;
        }
        if (primaryKnown) {
            markSent(p);
            byte[] command = wireCommand(p);
            ByteBuffer b = ByteBuffer.allocate(1 + 16 + command.length);
            b.put(FRAME_FORWARD).putLong(p.session.clientId).putLong(p.requestNumber).put(command);
            transport.send(settings.part(), settings.replicas().get(primaryIndex), b.array());
        } else {
            p.lastProblem = replica.refusal().isEmpty() ? "no primary known (" + replica.status() + ", view " + replica.view() + ")" : replica.refusal();
        }
    }

    /**
     * Why this replica knows that nothing submitted here can commit now, or null when it might. A write or linearizable
     * read that was never sent then fails at once with the reason, rather than after {@code request.timeout.ms}. The
     * replica "knows" once the condition has held for an election timeout (the time after which a primary abdicates):
     * a lost pong or a pause of this process must not fail writes that a moment later would commit.
     */
    private String cannotCommit() {
        String why = cannotCommitNow();
        if (why == null) {
            cannotCommitSinceTick = -1;
            return null;
        }
        if (cannotCommitSinceTick < 0) cannotCommitSinceTick = ticks;
        return ticks - cannotCommitSinceTick >= settings.ticks(settings.electionTimeoutMs()) ? why : null;
    }

    private String cannotCommitNow() {
        Replica r = replica;
        String here = "node " + settings.node();
        if (r.status() == Status.RECOVERING) return here + " cannot commit: " + r.refusal();
        if (r.quorumConnected()) return null;
        boolean primaryKnown = r.status() == Status.NORMAL;
        int primary = r.primary();
        if (primaryKnown && primary != r.self() && r.connectedTo(primary)) return null; // forwarding may still work
        List<Integer> reached = new ArrayList<>();
        for (int i = 0; i < settings.replicas().size(); i++) {
            if (i != r.self() && r.connectedTo(i)) reached.add(settings.replicas().get(i));
        }
        String links = here + " is not quorum-connected (it reaches " + (reached.isEmpty() ? "none" : "only node(s) " + reached)
                + " of the other replicas " + others() + ")";
        if (primaryKnown && primary == r.self()) return links + " and does not serve as primary";
        return links + (primaryKnown ? " and does not reach the primary node " + settings.replicas().get(primary) : " and knows no primary");
    }

    private List<Integer> others() {
        List<Integer> others = new ArrayList<>(settings.replicas());
        others.remove(Integer.valueOf(settings.node()));
        return others;
    }

    private void onReply(Effects.Reply reply, int fromNode) {
        RequestKey key = new RequestKey(reply.clientId(), reply.requestNumber());
        Integer forwardedBy = forwardedFrom.remove(key);
        if (forwardedBy != null) {
            sendForwardReply(forwardedBy, reply);
            return;
        }
        Pending p = pending.get(key);
        if (p == null) return; // answered already, or timed out
        switch (reply.outcome()) {
            case OK -> {
                if (p.registering) registered(p, reply.op()); else complete(p, reply);
            }
            case NOT_PRIMARY -> {
                p.lastProblem = "node " + fromNode + " is not the primary";
                if (!settings.forwardWrites() && fromNode == settings.node()) {
                    // Our own replica took the request as primary and then stopped serving (deposed, abdicated): it is
                    // in the log of some backups and may still commit. Not forwarding, we cannot follow it.
                    fail(p, new OutcomeUnknownException("part " + settings.part() + ": node " + settings.node() + " stopped being the"
                            + " primary after it took the operation (forward.writes is false, so it is not followed to the new"
                            + " primary); it may or may not have committed"));
                } else {
                    p.lastSentTick = Long.MIN_VALUE / 2; // retry on the next tick
                }
            }
            case EVICTED, STALE_REQUEST -> {
                // The session was evicted from the group's client table (STALE: and registered again under the same id
                // by a late copy of its registration, numbered above ours). Sent once, the request is in the log at
                // most once, and that copy did not execute; sent more often, an earlier copy may have executed before
                // the eviction. Either way it is not resubmitted: the caller decides. The session starts over.
                pending.remove(key);
                p.session.startOver();
                pending.put(p.key(), p);
                String why = "part " + settings.part() + ": the client session was evicted from the client table (client.table.capacity sessions are kept)";
                fail(p, p.sends <= 1 ? new StateException(why + "; the operation did not execute")
                        : new OutcomeUnknownException(why + " while the operation was being retried; it may or may not have executed"));
            }
            case BUSY -> {
                p.lastProblem = "the primary is busy: backups have not caught up with its uncommitted operations";
                p.lastSentTick = ticks; // retry after the usual interval
            }
        }
    }

    private void complete(Pending p, Effects.Reply reply) {
        if (p.future.isDone()) return; // answered already (e.g. failed at its deadline in the same pass)
        release(p);
        p.future.complete(reply);
    }

    private void fail(Pending p, StateException e) {
        if (p.future.isDone()) return; // a second release would free a session another request now holds
        release(p);
        p.future.completeExceptionally(e);
    }

    private void release(Pending p) {
        if (p.session == null) {
            waiting.remove(p);
            return;
        }
        pending.remove(p.key());
        p.session.current = null;
        drainWaiting();
    }

    /**
     * Gives free sessions to waiting requests, in order, iteratively: dispatching one may fail it at once (this replica
     * cannot commit), which frees its session again; recursing there would be as deep as the queue.
     */
    private void drainWaiting() {
        if (draining) return;
        draining = true;
        try {
            while (!waiting.isEmpty()) {
                Session free = null;
                for (Session s : sessions) {
                    if (s.current == null) {
                        free = s;
                        break;
                    }
                }
                if (free == null) return;
                Pending next = waiting.pollFirst();
                assign(free, next);
                dispatch(next);
            }
        } finally {
            draining = false;
        }
    }

    private void checkRequests() {
        if (pending.isEmpty() && waiting.isEmpty()) return;
        int retryTicks = settings.ticks(settings.heartbeatMs() * 2);
        List<Pending> all = new ArrayList<>(pending.values());
        all.addAll(waiting);
        for (Pending p : all) {
            if (ticks >= p.deadlineTick) {
                String waited = settings.requestTimeoutMs() + " ms (request.timeout.ms)";
                if (p.everSent) {
                    fail(p, new OutcomeUnknownException("part " + settings.part() + ": no answer within " + waited
                            + "; the operation may or may not have committed" + (p.lastProblem.isEmpty() ? "" : " (" + p.lastProblem + ")")));
                } else {
                    fail(p, new StateException("part " + settings.part() + ": no serving primary within " + waited
                            + "; not committed" + (p.lastProblem.isEmpty() ? "" : " (" + p.lastProblem + ")")));
                }
            } else if (p.session != null && ticks - p.lastSentTick >= retryTicks) {
                dispatch(p);
            }
        }
    }

    /** Fails every request with {@code e}, or, for one that was sent (it may execute yet), with an unknown outcome. */
    private void failAll(StateException e) {
        for (Pending p : new ArrayList<>(pending.values())) {
            fail(p, p.everSent ? new OutcomeUnknownException(e.getMessage() + " after the operation was sent; it may or may not have committed") : e);
        }
        for (Pending p : new ArrayList<>(waiting)) fail(p, e);
    }

    private long newClientId() {
        long id;
        do {
            id = random.nextLong();
        } while (id == 0);
        return id;
    }

    // ------------------------------------------------------------------------------------------------
    // Transport (transport thread hands over to the loop).

    private void onTransportMessage(int fromNode, byte[] message) {
        if (stopped) return;
        loop.execute(() -> onMessage(fromNode, message));
    }

    private void onMessage(int fromNode, byte[] message) {
        if (stopped) return;
        int from = settings.indexOf(fromNode);
        if (from < 0 || message.length == 0) {
            transportDrops.incrementAndGet();
            return;
        }
        try {
            switch (message[0]) {
                case FRAME_REPLICA -> {
                    Message m = codec.decode(message, 1, message.length - 1);
                    handle(replica.step(from, m));
                }
                case FRAME_FORWARD -> {
                    ByteBuffer b = ByteBuffer.wrap(message, 1, message.length - 1);
                    long clientId = b.getLong();
                    long requestNumber = b.getLong();
                    byte[] command = new byte[b.remaining()];
                    b.get(command);
                    if (clientId == 0 || clientId == LogEntry.GROUP || requestNumber < 0) {
                        transportDrops.incrementAndGet();
                        return;
                    }
                    forwardedFrom.put(new RequestKey(clientId, requestNumber), fromNode);
                    handle(replica.submit(new Request(clientId, requestNumber, command)));
                }
                case FRAME_FORWARD_REPLY -> onForwardReply(fromNode, ByteBuffer.wrap(message, 1, message.length - 1));
                default -> transportDrops.incrementAndGet();
            }
        } catch (CodecException | java.nio.BufferUnderflowException | IllegalArgumentException e) {
            transportDrops.incrementAndGet();
        }
    }

    private void sendForwardReply(int toNode, Effects.Reply reply) {
        byte[] result = reply.result() == null ? new byte[0] : reply.result();
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 8 + 1 + 4 + 8 + 8 + 1 + result.length);
        b.put(FRAME_FORWARD_REPLY).putLong(reply.clientId()).putLong(reply.requestNumber()).put((byte) reply.outcome().ordinal())
                .putInt(reply.primaryHint()).putLong(reply.op()).putLong(reply.view()).put((byte) (reply.result() == null ? 0 : 1)).put(result);
        transport.send(settings.part(), toNode, b.array());
    }

    private void onForwardReply(int fromNode, ByteBuffer b) {
        long clientId = b.getLong();
        long requestNumber = b.getLong();
        int outcome = b.get();
        int hint = b.getInt();
        long op = b.getLong();
        long view = b.getLong();
        boolean hasResult = b.get() == 1;
        byte[] result = new byte[b.remaining()];
        b.get(result);
        if (outcome < 0 || outcome >= Outcome.values().length || hint < -1 || hint >= settings.replicas().size()) {
            transportDrops.incrementAndGet();
            return;
        }
        onReply(new Effects.Reply(clientId, requestNumber, Outcome.values()[outcome], hasResult ? result : null, hint, op, view), fromNode);
    }

    // ------------------------------------------------------------------------------------------------
    // Effects (loop thread): persist, then send, then apply, then reply.

    private void handle(Effects fx) {
        if (stopped || halted) return;
        if (!fx.persist().isEmpty() && store != null) {
            try {
                store.apply(fx.persist(), fx.syncBeforeSend());
            } catch (IOException e) {
                // Nothing may leave that depends on state we could not make durable, in this batch or any later
                // one (the loop may still hold work queued before the stop): halt at once, then stop this replica.
                halted = true;
                throw new IllegalStateException("part " + settings.part() + ": storage failed in " + settings.storageDirectory() + ": " + e.getMessage(), e);
            }
        }
        for (ReplicaEvent event : fx.events()) {
            ReplicaEventLog.Line line = eventLog.line(event);
            if (line.warn()) log.warn(line.text()); else log.info(line.text());
        }
        for (Effects.Outbound out : fx.messages()) {
            byte[] bytes;
            try {
                bytes = codec.encode(out.message());
            } catch (CodecException e) {
                log.warn("part " + settings.part() + ": message not sent: " + e.getMessage());
                continue;
            }
            byte[] framed = new byte[bytes.length + 1];
            framed[0] = FRAME_REPLICA;
            System.arraycopy(bytes, 0, framed, 1, bytes.length);
            transport.send(settings.part(), settings.replicas().get(out.to()), framed);
        }
        if (!fx.committed().isEmpty() || fx.restoredCheckpointOp() >= 0) deliver(fx);
        for (Effects.Reply reply : fx.replies()) onReply(reply, settings.node());
        updateServing();
    }

    private void deliver(Effects fx) {
        List<Change> changes = new ArrayList<>(fx.committed().size());
        HashMap<Long, Effects.Committed> byOp = new HashMap<>();
        for (Effects.Committed c : fx.committed()) byOp.put(c.entry().op(), c);
        for (PartStateMachine.Applied a : stateMachine.drainApplied()) {
            if (a.changes().isEmpty()) continue;
            if (a.op() == PartStateMachine.RESTORED) {
                // A checkpoint from a peer replaced the state at once: one change with every key that differs.
                long op = Math.max(fx.restoredCheckpointOp(), 0);
                changes.add(new StateValues.ChangeValue(settings.part(), op, replica.view(), a.changes(), op <= replayUntilOp));
                continue;
            }
            Effects.Committed c = byOp.get(a.op());
            long view = c == null ? replica.view() : c.view();
            changes.add(new StateValues.ChangeValue(settings.part(), a.op(), view, a.changes(), a.op() <= replayUntilOp));
        }
        if (changes.isEmpty() || listeners.isEmpty() && followers.isEmpty()) return;
        List<FollowerBinding> to = followers.isEmpty() ? List.of() : List.copyOf(followers);
        delivery.execute(() -> {
            for (Change change : changes) {
                for (FollowerBinding b : to) {
                    if (change.opNumber() > b.snapshotOp) b.call("change", change.opNumber(), () -> b.follower.changed(change));
                }
                for (ChangeListener l : listeners) {
                    try {
                        l.changed(change);
                    } catch (RuntimeException e) {
                        log.error("part " + settings.part() + ": change listener " + l.getClass().getName() + " failed at op " + change.opNumber(), e);
                    }
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------------
    // Ticks (loop thread).

    private void onTick() {
        psr.api.osal.Watchdogs.Watchdog w = watchdog;
        if (w != null) w.kick();
        if (stopped) return;
        ticks++;
        handle(replica.tick());
        cannotCommit(); // keeps the time since which nothing can commit here current, requests or not
        checkRequests();
        checkTransfers();
        runDueTasks();
        updateStatus();
    }

    private void updateStatus() {
        Replica r = replica;
        localStateCurrent = r.localStateCurrent();
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
        status = new StateValues.PartStatusValue(settings.part(), settings.node(), role, r.view(), primaryNode,
                r.quorumConnected(), peers, r.opNumber(), r.commitNumber(), lag, r.refusal(), r.droppedMessages() + transportDrops.get());
    }

    // ------------------------------------------------------------------------------------------------
    // Primary-only tasks.

    private void runDueTasks() {
        if (tasks.isEmpty()) return;
        for (TaskBinding t : tasks) {
            if (ticks < t.nextDueTick) continue;
            t.nextDueTick = ticks + settings.ticks(t.periodMs);
            if (t.running || !replica.isServingPrimary()) continue;
            String cycleKey = TASK_PREFIX + t.name + "/cycle";
            Value last = stateMachine.get(cycleKey);
            long number = last == null ? 1 : last.asInt64() + 1;
            t.running = true;
            taskThread.execute(() -> runCycle(t, cycleKey, last, number));
        }
    }

    private void runCycle(TaskBinding t, String cycleKey, Value last, long number) {
        List<Operation> writes = new ArrayList<>();
        PrimaryTask.TaskCycle cycle = new PrimaryTask.TaskCycle() {
            @Override public long number() { return number; }
            @Override public Optional<Value> read(String key) { return Optional.ofNullable(stateMachine.get(key)); }
            @Override public void put(String key, Value value) { writes.add(Operation.put(key, value)); }
            @Override public void delete(String key) { writes.add(Operation.delete(key)); }
        };
        try {
            t.task.run(cycle);
        } catch (RuntimeException e) {
            log.error("part " + settings.part() + ": primary task " + t.name + " failed in cycle " + number + "; nothing written", e);
            t.running = false;
            return;
        }
        writes.add(Operation.compareAndSet(cycleKey, last == null ? null : Value.ofInt64(number - 1), Value.ofInt64(number)));
        submit(new Operation.Batch(writes)).whenComplete((result, error) -> {
            if (error == null && !result.applied()) {
                log.info("part " + settings.part() + ": primary task " + t.name + " cycle " + number + " was already committed elsewhere; not written again");
            }
            t.running = false;
        });
    }
}
