package psr.consensus.part;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import psr.api.osal.DurableStorageProvider;
import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;
import psr.api.osal.Watchdogs;
import psr.api.state.Change;
import psr.api.state.ChangeListener;
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
import psr.api.state.StateException;
import psr.api.state.StateFollower;
import psr.api.state.Value;
import psr.api.transport.Transport;
import psr.consensus.codec.CodecException;
import psr.consensus.codec.MessageCodec;
import psr.consensus.core.Effects;
import psr.consensus.core.Replica;
import psr.consensus.core.ReplicaConfig;
import psr.consensus.core.Request;
import psr.consensus.store.ReplicaStore;

/**
 * Runs one replica of one part and offers it as the {@link PartState} service: it wires the parts of the runtime
 * layer together and owns their life cycle.
 *
 * <ul>
 * <li>{@link StartPlan} decides from the configuration and the storage how the replica starts;
 * <li>{@link ReplicaDriver} feeds the {@link Replica} core and carries out its effects (persist, send, hand on);
 * <li>{@link ClientSessions} carries this node's requests to the log, with retries, deadlines and outcomes;
 * <li>{@link Forwarding} carries requests between a backup and the primary ({@link ForwardingFrames}, FORMAT.md);
 * <li>{@link ChangeDelivery} and {@link ServingTracker} tell listeners and followers what committed and who serves;
 * <li>{@link PrimaryTasks} runs the primary-only tasks; {@link LeadershipTransfers} follows transfers asked for here;
 * <li>{@link CommitCheck} and {@link StatusProjection} say what the replica can do and is, in node ids.
 * </ul>
 *
 * <p><b>Threads.</b> Three OSAL event loops per part, so each gets the platform's priority mapping: the replica loop
 * (priority {@code priority}) runs everything that touches the core; the task loop (one step less urgent) runs primary
 * tasks; the callback loop (two steps less urgent) completes callers' stages and calls listeners and followers, in
 * op-number order. Callers of {@link PartState} never block. The transport's thread only queues work on the replica
 * loop.
 *
 * <p><b>Transport framing.</b> The first byte of every transport message says what follows: 0 a replica message
 * ({@link MessageCodec}), 1 a request forwarded to the primary, 2 the primary's answer to one (FORMAT.md).
 */
public final class PartRuntime implements PartState {

    /** Where the runtime reports what an operator should know. */
    public interface Log {
        void info(String message);

        void warn(String message);

        void error(String message, Throwable cause);
    }

    /** Replaced only by {@link #applyWithoutRestart}, and then only in its request-serving properties. */
    private volatile PartSettings settings;
    private volatile String cluster;
    private final Transport transport;
    private final EventLoops loops;
    private final DurableStorageProvider storageProvider;
    private final Log log;
    private final MessageCodec codec;
    private final ReplicaConfig replicaConfig;
    /** The largest command (encoded operation) accepted: a quarter of the message budget. */
    private final int maxCommandBytes;
    private final PartStateMachine stateMachine = new PartStateMachine();
    /** Client ids and the replica's random back-offs; seeded in tests, so that a manual-time run repeats exactly. */
    private final Random random;
    private final AtomicLong transportDrops = new AtomicLong();
    /** Requests handed to the replica loop and not yet answered; any thread. */
    private final java.util.Set<ClientSessions.Pending> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Transfers asked for here and not yet answered; any thread (a stop answers what its drain could not). */
    private final java.util.Set<TransferAsked> transfersInFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final ChangeDelivery delivery;
    private final PrimaryTasks tasks;
    /** Kicked every tick when the node has a watchdog service (see {@link #watchWith}). */
    private volatile Watchdogs.Watchdog watchdog;

    // Set up by start(); then touched only on the replica loop (the loops themselves: any thread).
    private EventLoop loop, taskLoop;
    private CallbackLoop callbacks;
    private EventLoop.Timer tickTimer;
    private Transport.Registration registration;
    private DurableStorageProvider.OpenStorage storage;
    private ReplicaDriver driver;
    private Replica replica;
    private ClientSessions sessions;
    private Forwarding forwarding;
    private CommitCheck commitCheck;
    private LeadershipTransfers transfers;
    private final ServingTracker serving = new ServingTracker();
    private long ticks;
    private long replayUntilOp;

    private volatile PartStatus status;
    private volatile boolean stopped;
    /** Set on the replica loop when it failed (storage, a bug): the replica does nothing more until it is stopped. */
    private volatile boolean halted;
    /** Whether the replica's applied state is at least what it had before it restarted (see Replica.localStateCurrent). */
    private volatile boolean localStateCurrent;
    private volatile String failure = "";

    public PartRuntime(PartSettings settings, Transport transport, EventLoops loops, DurableStorageProvider storageProvider, Log log) {
        this(settings, transport, loops, storageProvider, log, new Random());
    }

    PartRuntime(PartSettings settings, Transport transport, EventLoops loops, DurableStorageProvider storageProvider, Log log, Random random) {
        this.random = random;
        this.settings = settings;
        this.transport = transport;
        this.loops = loops;
        this.storageProvider = storageProvider;
        this.log = log;
        this.codec = new MessageCodec(MessageCodec.DEFAULT_LIMITS.withMaxMessageBytes(Math.max(MessageCodec.MIN_MESSAGE_LIMIT,
                Math.min(transport.maxMessageBytes() - 1, MessageCodec.DEFAULT_LIMITS.maxMessageBytes()))));
        // What one replica message may carry follows from what the transport carries.
        int budget = Math.max(4096, Math.min(512 * 1024, codec.limits().maxMessageBytes() / 2));
        this.replicaConfig = settings.replicaConfig().withMessageBudget(budget);
        this.maxCommandBytes = Math.min(budget / 4, codec.limits().maxCommandBytes());
        // The loops exist from start(); nothing is delivered or run on them before.
        this.delivery = new ChangeDelivery(settings.part(), task -> callbacks.execute(task), log);
        this.tasks = new PrimaryTasks(settings, stateMachine, task -> taskLoop.execute(task), this::submit, log);
        this.status = new StateValues.PartStatusValue(settings.part(), settings.node(), Role.STOPPED, 0, -1, false, List.of(), 0, 0, 0, "starting", 0);
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

    /**
     * Opens storage, starts the replica on its event loops and registers with the transport. Call {@link #stop} even
     * when this throws.
     */
    public void start() throws IOException {
        PartSettings s = settings;
        ReplicaStore store = null;
        ReplicaStore.Loaded loaded = null;
        if (s.durability() == PartSettings.Durability.DURABLE) {
            storage = storageProvider.open(s.storageDirectory());
            store = new ReplicaStore(storage);
            try {
                StorageOwner.claim(storage, s.storageDirectory(), s.part(), s.node(), cluster);
                loaded = store.load();
            } catch (IOException | RuntimeException e) {
                storage.close();
                storage = null;
                throw e;
            }
        }
        StartPlan plan = StartPlan.of(s.durability(), s.startMode(), loaded);
        if (plan.wipe()) store.wipe(); // nothing of it is trusted; the peers' state replaces it
        if (plan.warn()) log.warn("part " + s.part() + ": " + plan.reason());
        Random replicaRandom = new Random(random.nextLong());
        replica = switch (plan.kind()) {
            case BOOTSTRAP -> Replica.bootstrap(replicaConfig, stateMachine, replicaRandom);
            case RECOVER -> Replica.recover(replicaConfig, stateMachine, replicaRandom);
            case RESTART -> Replica.restart(replicaConfig, stateMachine, replicaRandom, loaded.view(), loaded.lastNormalView(),
                    loaded.checkpoint(), loaded.log(), loaded.commit());
        };
        if (plan.kind() == StartPlan.Kind.RESTART) replayUntilOp = loaded.lastOp();
        driver = new ReplicaDriver(s, replica, store, transport, codec, log);
        forwarding = new Forwarding(s.part(), transport);
        commitCheck = new CommitCheck(s);
        transfers = new LeadershipTransfers(s);
        sessions = new ClientSessions(() -> settings, new SessionRoute(), this::newClientId);
        driver.outputs(new DriverOutputs());
        // The status says what the replica is from the start (not "starting" with no primary until the first tick):
        // nothing else touches the replica yet, and the service is registered only after start() returns.
        updateStatus();
        int priority = s.priority();
        taskLoop = loops.create("psr-" + s.part() + "-tasks", Math.min(EventLoops.PRIORITY_LOWEST, priority + 1), this::onCallbackError);
        callbacks = new CallbackLoop(loops.create("psr-" + s.part() + "-callbacks", Math.min(EventLoops.PRIORITY_LOWEST, priority + 2),
                this::onCallbackError), this::onCallbackError);
        loop = loops.create("psr-" + s.part(), priority, this::onLoopError);
        loop.execute(driver::startup);
        registration = transport.register(s.part(), this::onTransportMessage);
        tickTimer = loop.scheduleAtFixedRate(this::onTick, s.tickMs(), s.tickMs(), TimeUnit.MILLISECONDS);
        log.info("part " + s.part() + " on node " + s.node() + " of " + s.replicas() + ": " + plan.reason());
    }

    /**
     * A planned stop (the consensus bundle updated, the controller shut down): when this replica is the serving primary
     * and a peer is connected, it hands the part over first (leadership transfer, at most two election timeouts), so
     * the part's clients and the plant see a switch-over rather than a failover. Blocks the caller for that long at most.
     */
    public void handOverBeforeStop() {
        CompletionStage<Integer> handOver = handOver();
        try {
            handOver.toCompletableFuture().get(2L * settings.electionTimeoutMs() + 1000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            // logged by handOver()
        } catch (java.util.concurrent.TimeoutException e) {
            log.warn("part " + settings.part() + " node " + settings.node() + ": stopping as primary; the hand-over did not finish in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Hands the part over to a connected peer when this replica is the primary, and logs how that ended. The stage
     * gives the new primary's node id, or -1 when there was nothing to do (not the primary, no peer connected).
     */
    CompletionStage<Integer> handOver() {
        PartStatus s = status;
        if (stopped || s.role() != Role.PRIMARY) return CompletableFuture.completedFuture(-1);
        int target = s.peers().stream().filter(PeerStatus::connected).mapToInt(PeerStatus::node).findFirst().orElse(-1);
        if (target < 0) return CompletableFuture.completedFuture(-1);
        String who = "part " + settings.part() + " node " + settings.node();
        return transferPrimary(target).whenComplete((leader, e) -> {
            if (e == null) log.info(who + ": stopping; handed the part over to node " + leader + " first");
            else log.warn(who + ": stopping as primary without a hand-over: " + (e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e).getMessage());
        });
    }

    /**
     * Watches the replica's event loop with {@code watchdogs} (optional; call after {@link #start}): each tick kicks it,
     * and a loop that runs no tick for {@code max(1 s, election timeout)} (a stuck or very long task, a large checkpoint)
     * is reported once per stall, because then the replica answers nobody and its peers will hold a view change.
     */
    public void watchWith(Watchdogs watchdogs) {
        long timeoutMs = Math.max(1000, settings.electionTimeoutMs());
        watchdog = watchdogs.start("psr-" + settings.part(), timeoutMs, TimeUnit.MILLISECONDS,
                () -> log.warn("part " + settings.part() + " node " + settings.node() + ": the replica's event loop ran no tick for "
                        + timeoutMs + " ms (a long task on it, e.g. a checkpoint of a large state, or a stuck one); its peers"
                        + " stop hearing it"));
    }

    /**
     * Stops the replica and its loops. Durable state stays; callers still waiting get a {@link StateException} (an
     * {@code OutcomeUnknownException} for what was sent), and every stage handed out completes. Idempotent.
     */
    public void stop() {
        if (stopped) return;
        stopped = true;
        if (registration != null) registration.close();
        if (tickTimer != null) tickTimer.cancel();
        Watchdogs.Watchdog w = watchdog;
        if (w != null) w.close();
        if (loop != null) {
            CompletableFuture<Void> drained = new CompletableFuture<>();
            loop.execute(() -> {
                if (!halted) endOnLoop(new StateException("part " + settings.part() + " stopped"));
                drained.complete(null);
            });
            try {
                drained.get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the loop is stuck or already closed; close() below bounds the wait
            }
            loop.close();
        }
        // Normally the drain answered everything. When it could not run (a loop stuck in a sync, or closed), what the
        // loop never took certainly did not execute; what it took may have been sent, so its outcome is unknown.
        for (ClientSessions.Pending p : inFlight) answerAtStop(p);
        for (TransferAsked t : transfersInFlight) answerAtStop(t);
        if (callbacks != null) callbacks.closeAfterDraining(2000); // after the replica loop: its last answers are queued
        if (taskLoop != null) taskLoop.close();
        if (storage != null) {
            try {
                storage.close();
            } catch (IOException e) {
                log.warn("part " + settings.part() + ": closing storage: " + e.getMessage());
            }
        }
        status = StatusProjection.stopped(status, failure.isEmpty() ? "stopped" : failure);
    }

    /** Answers a request the stop's drain did not: unknown once the loop took it (it may have been sent), else not done. */
    private void answerAtStop(ClientSessions.Pending p) {
        p.future.completeExceptionally(p.claimed ? new OutcomeUnknownException("part " + settings.part() + " stopped while"
                + " the operation was being handled (its event loop did not finish in time); it may or may not have committed")
                : notRunning());
    }

    private void answerAtStop(TransferAsked t) {
        t.done.completeExceptionally(t.claimed ? new OutcomeUnknownException("part " + settings.part() + " stopped before the"
                + " transfer was seen to end; the chosen node may or may not take over") : notRunning());
    }

    /** A transfer from the call until it is answered; {@code claimed} as for a request. */
    private static final class TransferAsked {
        final CompletableFuture<Integer> done = new CompletableFuture<>();
        volatile boolean claimed;
    }

    /** Replica loop: fails what waits here and tells followers this replica no longer serves. */
    private void endOnLoop(StateException why) {
        sessions.failAll(why);
        transfers.failAll(why);
        if (serving.stop() == ServingTracker.Change.STOPPED) delivery.servingChanged(servingNow(false));
    }

    /**
     * Replica loop: something failed there (storage, or a bug). Nothing more leaves this replica: it stops taking
     * messages and ticks and fails what waits, but keeps its storage until its owner calls {@link #stop} (which a
     * loop task cannot do: stopping waits for the loop).
     */
    private void onLoopError(Throwable t) {
        if (halted) return;
        log.error("part " + settings.part() + ": unexpected error on the replica's event loop; stopping this replica", t);
        failure = "failed: " + t;
        halted = true;
        if (registration != null) registration.close();
        if (tickTimer != null) tickTimer.cancel();
        Watchdogs.Watchdog w = watchdog;
        if (w != null) w.close(); // no more ticks on purpose: not a stall to report
        try {
            endOnLoop(new StateException("part " + settings.part() + " " + failure));
        } catch (RuntimeException e) {
            log.error("part " + settings.part() + ": failing the waiting requests", e);
        }
        status = StatusProjection.stopped(status, failure);
    }

    private void onCallbackError(Throwable t) {
        log.error("part " + settings.part() + ": unexpected error in a callback", t);
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

    public void addListener(ChangeListener l) { delivery.addListener(l); }
    public void removeListener(ChangeListener l) { delivery.removeListener(l); }
    void addTask(PrimaryTasks.Binding t) { tasks.add(t); }
    public void removeTask(PrimaryTask task) { tasks.remove(task); }

    /** Messages the transport handed us that could not be decoded. */
    public long undecodableMessages() {
        return transportDrops.get();
    }

    private boolean running() {
        return !stopped && !halted;
    }

    private StateException notRunning() {
        return new StateException("part " + settings.part() + (halted ? " " + failure : " is stopped"));
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
                + " everything it had applied before (commit " + s.commitNumber() + ", log to op " + s.opNumber()
                + "); a LOCAL read now could return an older state: retry shortly or read LINEARIZABLE");
    }

    @Override
    public PartStatus status() {
        return status;
    }

    @Override
    public CompletionStage<Integer> transferPrimary(int node) {
        int index = settings.indexOf(node);
        if (index < 0) {
            return CompletableFuture.failedFuture(new StateException("part " + settings.part() + ": node " + node
                    + " holds no replica of it; its replicas are " + settings.replicas()));
        }
        if (!running()) return CompletableFuture.failedFuture(notRunning());
        TransferAsked asked = new TransferAsked();
        CompletableFuture<Integer> done = asked.done;
        transfersInFlight.add(asked);
        done.whenComplete((n, e) -> transfersInFlight.remove(asked));
        loop.execute(() -> {
            asked.claimed = true;
            if (!running()) {
                done.completeExceptionally(notRunning());
                return;
            }
            String refusal = index == replica.self() ? "that is this node"
                    : !replica.isServingPrimary() ? "node " + settings.node() + " is not the serving primary ("
                            + CommitCheck.leader(settings, replica) + "); run psr:transfer on the primary's node" : null;
            if (refusal != null) {
                done.completeExceptionally(new StateException("part " + settings.part() + ": cannot transfer to node " + node + ": " + refusal));
                return;
            }
            driver.transferLeadership(index);
            transfers.await(node, done, ticks);
        });
        if (stopped) answerAtStop(asked); // the stop may have run since running(): its sweep missed this, its loop drops the task
        return done.thenApplyAsync(n -> n, callbacks);
    }

    @Override
    public Following follow(StateFollower follower) {
        java.util.Objects.requireNonNull(follower, "follower");
        if (!running()) throw notRunning();
        ChangeDelivery.Follower f = new ChangeDelivery.Follower(follower);
        loop.execute(() -> {
            if (!running()) return;
            // On the loop thread, between two batches: the state machine holds exactly the ops up to the commit-number,
            // and every later batch is delivered to this follower.
            Snapshot snapshot = new StateValues.SnapshotValue(settings.part(), replica.commitNumber(), replica.view(), stateMachine.range(""));
            delivery.startFollowing(f, snapshot, servingNow(serving.serving()));
        });
        return delivery.following(f);
    }

    private Serving servingNow(boolean isServing) {
        return new StateValues.ServingValue(settings.part(), settings.node(), isServing, replica.view(), replica.commitNumber());
    }

    private CompletableFuture<Effects.Reply> send(byte[] command) {
        if (command.length > maxCommandBytes) {
            return CompletableFuture.failedFuture(new StateException("part " + settings.part() + ": operation of " + command.length
                    + " bytes is too large: at most " + maxCommandBytes + " bytes (a quarter of what one message of the transport carries)"));
        }
        if (!running()) return CompletableFuture.failedFuture(notRunning());
        ClientSessions.Pending p = ClientSessions.newRequest(command);
        // Until it is answered, a stop that cannot drain the loop answers it (see stop()).
        inFlight.add(p);
        p.future.whenComplete((r, e) -> inFlight.remove(p));
        loop.execute(() -> {
            p.claimed = true;
            if (running()) sessions.enqueue(p); else p.future.completeExceptionally(notRunning());
        });
        // The stop may have run since running() above: its sweep missed p, and its closed loop drops the task. (Both
        // flags are volatile: seeing stopped here and claimed unset, the loop task, if it runs, sees stopped too.)
        if (stopped) answerAtStop(p);
        // Complete callers' stages off the replica's loop: their code may take its time.
        return p.future.thenApplyAsync(r -> r, callbacks);
    }

    private long newClientId() {
        long id;
        do {
            id = random.nextLong();
        } while (id == 0);
        return id;
    }

    // ------------------------------------------------------------------------------------------------
    // Replica loop.

    /** How the client sessions reach the group from this node. */
    private final class SessionRoute implements ClientSessions.Route {
        @Override public String cannotCommit() { return commitCheck.cannotCommit(replica, ticks); }
        @Override public boolean servingPrimary() { return replica.isServingPrimary(); }
        @Override public void submitHere(Request request) { driver.submit(request); }
        @Override public int remotePrimaryNode() { return CommitCheck.remotePrimaryNode(settings, replica); }
        @Override public String noPrimaryReason() { return CommitCheck.noPrimaryReason(settings, replica); }

        @Override
        public void forward(int node, long clientId, long requestNumber, byte[] command) {
            forwarding.forward(node, clientId, requestNumber, command);
        }
    }

    /** Where the driver hands on what a batch of effects produced, once it is durable and sent. */
    private final class DriverOutputs implements ReplicaDriver.Outputs {
        @Override
        public void applied(Effects fx) {
            deliver(fx);
        }

        @Override
        public void reply(Effects.Reply reply) {
            if (!forwarding.relay(reply)) sessions.onReply(reply, settings.node());
        }

        @Override
        public void afterBatch() {
            ServingTracker.Change c = serving.update(replica.isServingPrimary(), replica.view(), replica.opNumber(), replica.commitNumber());
            if (c != ServingTracker.Change.NONE) delivery.servingChanged(servingNow(c == ServingTracker.Change.STARTED));
        }
    }

    /** The transport's thread: only queues the message on the replica loop. */
    private void onTransportMessage(int fromNode, byte[] message) {
        if (!running()) return;
        loop.execute(() -> onMessage(fromNode, message));
    }

    private void onMessage(int fromNode, byte[] message) {
        if (!running()) return;
        int from = settings.indexOf(fromNode);
        if (from < 0 || message.length == 0) {
            transportDrops.incrementAndGet();
            return;
        }
        try {
            switch (message[0]) {
                case ForwardingFrames.FRAME_REPLICA -> driver.step(from, codec.decode(message, 1, message.length - 1));
                case ForwardingFrames.FRAME_FORWARD -> {
                    Request request = forwarding.received(fromNode, message);
                    if (request == null) transportDrops.incrementAndGet(); else driver.submit(request);
                }
                case ForwardingFrames.FRAME_FORWARD_REPLY -> {
                    Effects.Reply reply = ForwardingFrames.readReply(message, settings.replicas().size());
                    if (reply == null) transportDrops.incrementAndGet(); else sessions.onReply(reply, fromNode);
                }
                default -> transportDrops.incrementAndGet();
            }
        } catch (CodecException | IllegalArgumentException e) {
            transportDrops.incrementAndGet();
        }
    }

    /** Committed operations (or an installed checkpoint) as changes, each with its op-number and view. */
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
        delivery.deliver(changes);
    }

    private void onTick() {
        Watchdogs.Watchdog w = watchdog;
        if (w != null) w.kick();
        if (!running()) return;
        ticks++;
        driver.tick();
        commitCheck.cannotCommit(replica, ticks); // keeps the time since which nothing can commit here current
        sessions.tick(ticks);
        transfers.check(replica, ticks);
        tasks.runDue(ticks, replica.isServingPrimary());
        updateStatus();
    }

    private void updateStatus() {
        localStateCurrent = replica.localStateCurrent();
        status = StatusProjection.of(settings, replica, transportDrops.get());
    }
}
