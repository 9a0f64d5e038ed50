package psr.consensus.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;

import psr.consensus.core.Effects.Outcome;
import psr.consensus.core.Message.Commit;
import psr.consensus.core.Message.DoViewChange;
import psr.consensus.core.Message.GetState;
import psr.consensus.core.Message.NewState;
import psr.consensus.core.Message.Ping;
import psr.consensus.core.Message.Pong;
import psr.consensus.core.Message.PreVote;
import psr.consensus.core.Message.PreVoteReply;
import psr.consensus.core.Message.Prepare;
import psr.consensus.core.Message.PrepareOk;
import psr.consensus.core.Message.Recovery;
import psr.consensus.core.Message.RecoveryResponse;
import psr.consensus.core.Message.StartView;
import psr.consensus.core.Message.StartViewChange;
import psr.consensus.core.Message.Transfer;

/**
 * One VSR-QC replica: Viewstamped Replication Revisited with quorum-connected leader election.
 *
 * <p>The replica is a deterministic state machine. It is driven only by {@link #step}, {@link #tick} and
 * {@link #submit}, each of which returns the {@link Effects} the caller must carry out (persist, then send,
 * then apply, then reply). It reads no clock, starts no thread and does no I/O; its only randomness is the
 * seeded {@link Random} it is given. It is not thread-safe: one thread drives it.
 *
 * <p>After every call it checks its invariants and throws {@link InvariantViolation} if one fails. Malformed
 * or impossible messages are dropped and counted ({@link #droppedMessages()}), never trusted.
 */
public final class Replica {

    /** How often a state-transfer retry asks the source of a checkpoint being assembled again before trying the next replica. */
    static final int SAME_SOURCE_RETRIES = 3;

    private final ReplicaConfig config;
    private final int self;
    private final int replicaCount;
    private final int quorum;
    private final StateMachine stateMachine;
    private final Random random;

    // Durable state (persisted before any message that depends on it leaves).
    private long view;
    private long lastNormalView;
    private final ReplicaLog log = new ReplicaLog();
    /** The latest checkpoint: the log holds only the operations after it. Null until the first one. */
    private Checkpoint checkpoint;
    /**
     * The CRC-32C of the state of the checkpoint at {@link #crcOp} with {@link #crcChecksum}, computed once per checkpoint
     * for the chunks cut from it (kept by op and checksum, not by reference, so an old checkpoint's state is not kept alive).
     */
    private long crcOp = -1;
    private long crcChecksum;
    private int crcOfState;

    // Volatile state.
    private Status status;
    private long commit;
    private long applied;
    private final ClientTable clients;
    private long now;
    private final Connectivity connectivity;
    private long lastPingTick;
    /** The highest commit-number any peer reported: how far this replica could be. */
    private long knownCommit;
    /**
     * Local reads stay monotonic across restarts: a restarted replica may have applied, before it stopped, anything
     * up to the last op it persisted, so its state is current only once its commit-number reaches that op (or the
     * first op where its log was since replaced: what differed there was never committed, so never applied).
     */
    private long localReadFloor;

    // Primary: the highest op each replica acknowledged in this view (cumulative PrepareOk).
    private final long[] ackedOp;
    private long lastCommitSentTick;
    /** Bytes of the entries this primary holds above its commit-number (bounded, see ReplicaConfig). */
    private long pipelineBytes;
    /** Maintenance switch-over: the replica this primary hands over to (-1: none), and until when it tries. */
    private int handoverTarget = -1;
    private long handoverDeadlineTick;
    private boolean handoverAnnounced;
    /** Requests submitted here that are in the log but not yet applied: op-number to request. */
    private final TreeMap<Long, Request> localPending = new TreeMap<>();

    // Backup.
    /** When this backup last heard a Prepare or Commit from the primary of its view. */
    private long lastHeardPrimaryTick;
    /** When this backup gives up on its primary; randomized so that candidates rarely collide. */
    private long electionDeadlineTick;

    // View change.
    private long viewChangeDeadlineTick;
    /**
     * The last tick this replica was in touch with a serving primary: it served as one, or as a backup heard its
     * primary (-1: not since it started). The events say from it how long the part had no primary here.
     */
    private long lastPrimaryContactTick = -1;
    /** A PrimarySilent event was emitted since this backup last heard its primary. */
    private boolean primarySilenceReported;
    /** Which peers were connected at the last heartbeat, for the connectivity events. */
    private final boolean[] peerConnected;
    /** DoViewChange messages for the current view, by sender; only at the new primary. */
    private final DoViewChange[] doViewChanges;
    /**
     * The candidate's commit-number when it sent StartViewChange: answers carry the log above it, and the
     * candidate holds every (committed) entry up to it. 0 in plain VR, where DoViewChange carries the whole log.
     */
    private long viewChangeBaseOp;

    /** Who campaigns, whose view change we join, when a primary abdicates (VSR-QC; plain VR in tests). */
    private final Election election;

    // State transfer: the view we are catching up to (-1 when none) and when we last asked.
    private long catchUpView = -1;
    private long catchUpAskedTick;
    /** Whom we last asked; a retry asks the next replica in turn (or the same again, see retryCatchUp). */
    private int catchUpSource;
    /** Retries that asked the source of the checkpoint being assembled again, since its last chunk arrived. */
    private int catchUpSameSourceRetries;
    /** A checkpoint arriving in chunks (state transfer of compacted operations). */
    private final CheckpointAssembly incoming = new CheckpointAssembly();

    // Recovery.
    private long recoveryNonce;
    private long recoveryDeadlineTick;
    private final RecoveryResponse[] recoveryResponses;
    private String refusal = "";

    // Counters.
    private long droppedMessages;
    private String lastDropReason = "";
    private long ignoredMessages;
    private String lastIgnoreReason = "";
    private long viewChangesCompleted;

    // Output of the current call.
    private Effects effects = new Effects();

    private Replica(ReplicaConfig config, StateMachine stateMachine, Random random, Election.Factory election) {
        this.config = Objects.requireNonNull(config, "config");
        this.stateMachine = Objects.requireNonNull(stateMachine, "stateMachine");
        this.random = Objects.requireNonNull(random, "random");
        this.self = config.self();
        this.replicaCount = config.replicaCount();
        this.quorum = config.quorum();
        this.clients = new ClientTable();
        this.connectivity = new Connectivity(replicaCount, self, config.connectivityWindowTicks());
        this.ackedOp = new long[replicaCount];
        this.doViewChanges = new DoViewChange[replicaCount];
        this.recoveryResponses = new RecoveryResponse[replicaCount];
        this.peerConnected = new boolean[replicaCount];
        this.election = Objects.requireNonNull(election, "election").create(new Host());
    }

    /** A replica of a brand-new group: view 0, empty log, normal status. Returns the effects of starting. */
    public static Replica bootstrap(ReplicaConfig config, StateMachine stateMachine, Random random) {
        return bootstrap(config, stateMachine, random, QuorumConnectedElection.FACTORY);
    }

    /** {@link #bootstrap(ReplicaConfig, StateMachine, Random)} with another election (tests: plain VR). */
    public static Replica bootstrap(ReplicaConfig config, StateMachine stateMachine, Random random, Election.Factory election) {
        Replica r = new Replica(config, stateMachine, random, election);
        r.status = Status.NORMAL;
        r.effects.persist.add(new Effects.SaveViewState(0, 0));
        r.resetElectionDeadline();
        r.lastHeardPrimaryTick = 0;
        if (r.isPrimary()) {
            r.becomePrimary();
            r.proposeConfigurationIfNeeded();
        }
        r.checkInvariants(Status.NORMAL, 0);
        return r;
    }

    /**
     * A replica restarting from its own durable state (durable mode). It rejoins in the view it persisted:
     * normal if that view had started for it, otherwise still in that view change. {@code persistedCommit} is the
     * commit-number it had persisted ({@code ReplicaStore.Loaded.commit()}): the operations up to it are applied
     * at once, so the restarted state machine goes back no further than that.
     */
    public static Replica restart(ReplicaConfig config, StateMachine stateMachine, Random random, long view,
            long lastNormalView, Checkpoint checkpoint, List<LogEntry> log, long persistedCommit) {
        return restart(config, stateMachine, random, view, lastNormalView, checkpoint, log, persistedCommit, QuorumConnectedElection.FACTORY);
    }

    /** {@link #restart(ReplicaConfig, StateMachine, Random, long, long, Checkpoint, List, long)} with another election. */
    public static Replica restart(ReplicaConfig config, StateMachine stateMachine, Random random, long view,
            long lastNormalView, Checkpoint checkpoint, List<LogEntry> log, long persistedCommit, Election.Factory election) {
        if (lastNormalView > view) {
            throw new IllegalArgumentException("persisted last normal view " + lastNormalView + " > view " + view);
        }
        Replica r = new Replica(config, stateMachine, random, election);
        r.view = view;
        r.lastNormalView = lastNormalView;
        if (checkpoint != null) {
            r.restoreCheckpoint(checkpoint); // throws IllegalArgumentException if it does not decode
            r.log.resetTo(checkpoint.op(), checkpoint.checksum(), log);
            r.effects.restoredCheckpointOp = checkpoint.op();
        } else {
            r.log.resetTo(0, LogEntry.ROOT, log);
        }
        if (persistedCommit > r.log.lastOp()) {
            throw new IllegalArgumentException("persisted commit-number " + persistedCommit + " > last op " + r.log.lastOp());
        }
        r.commit = Math.max(r.commit, persistedCommit);
        r.localReadFloor = r.log.lastOp();
        if (view == lastNormalView) {
            r.status = Status.NORMAL;
            r.resetElectionDeadline();
            if (r.isPrimary()) r.becomePrimary();
        } else {
            r.status = Status.VIEW_CHANGE;
            r.lastPrimaryContactTick = -1; // restarted inside a view change: no primary since it started
            r.viewChangeDeadlineTick = r.randomizedDeadline(config.viewChangeTimeoutTicks());
        }
        r.applyCommitted();
        r.checkInvariants(r.status, view);
        return r;
    }

    /**
     * A replica that lost its memory (diskless restart, or a durable log found corrupt): it serves nothing
     * and runs the Recovery protocol until a quorum, including the latest primary, told it the state.
     */
    public static Replica recover(ReplicaConfig config, StateMachine stateMachine, Random random) {
        return recover(config, stateMachine, random, QuorumConnectedElection.FACTORY);
    }

    /** {@link #recover(ReplicaConfig, StateMachine, Random)} with another election. */
    public static Replica recover(ReplicaConfig config, StateMachine stateMachine, Random random, Election.Factory election) {
        Replica r = new Replica(config, stateMachine, random, election);
        r.localReadFloor = Long.MAX_VALUE; // what it applied before is unknown: set when it adopts a view
        r.status = Status.RECOVERING;
        r.effects.events.add(new ReplicaEvent.RecoveryStarted("no durable state to restart from (diskless, empty or corrupt storage)"));
        r.startRecovery();
        r.checkInvariants(Status.RECOVERING, 0);
        return r;
    }

    /** Effects produced while constructing (bootstrap persistence, recovery requests). Call once after a factory method. */
    public Effects drainStartupEffects() {
        return drain();
    }

    // ------------------------------------------------------------------------------------------------
    // Inputs.

    /** Handles one message from replica {@code from}. */
    public Effects step(int from, Message message) {
        Status before = status;
        long viewBefore = view;
        if (from < 0 || from >= replicaCount || from == self) {
            drop("message from unknown replica " + from);
        } else if (message == null) {
            drop("null message");
        } else {
            dispatch(from, message);
        }
        checkInvariants(before, viewBefore);
        return drain();
    }

    /** Advances this replica's clock by one tick and runs whatever timeout fell due. */
    public Effects tick() {
        Status before = status;
        long viewBefore = view;
        now++;
        onTick();
        checkInvariants(before, viewBefore);
        return drain();
    }

    /**
     * Asks this replica to execute a client's request. A serving primary appends it to the log; anybody else
     * answers at once with {@link Outcome#NOT_PRIMARY}. The reply comes in some later batch's
     * {@link Effects#replies()} (or this one's).
     */
    public Effects submit(Request request) {
        Status before = status;
        long viewBefore = view;
        onRequest(Objects.requireNonNull(request, "request"));
        checkInvariants(before, viewBefore);
        return drain();
    }

    /**
     * Maintenance switch-over: this primary stops taking new requests, waits until {@code target} holds its whole
     * log, then tells everyone that {@code target} may take over; the target starts a view change at once. If no
     * new view has started within two election timeouts, this primary serves again.
     *
     * @throws IllegalStateException    naming why not, when this replica is not a serving primary (or the QC rules are off)
     * @throws IllegalArgumentException when {@code target} is not another replica of the group
     */
    public Effects transferLeadership(int target) {
        if (target < 0 || target >= replicaCount || target == self) {
            throw new IllegalArgumentException("transfer target " + target + " is not another replica: expected 0 to "
                    + (replicaCount - 1) + " other than " + self);
        }
        if (!isServingPrimary()) throw new IllegalStateException("replica " + self + " is not the serving primary; the primary is " + primary());
        if (!election.supportsHandover()) throw new IllegalStateException("leadership transfer needs the quorum-connected election");
        Status before = status;
        long viewBefore = view;
        handoverTarget = target;
        handoverAnnounced = false;
        effects.events.add(new ReplicaEvent.Handover(view, target, "started"));
        handoverDeadlineTick = now + 2L * config.electionTimeoutTicks();
        checkInvariants(before, viewBefore);
        return drain();
    }

    /** The replica this primary is handing over to, or -1. */
    public int transferTarget() {
        return handoverTarget;
    }

    private void dispatch(int from, Message message) {
        if (message instanceof Prepare m) {
            onPrepare(from, m);
        } else if (message instanceof PrepareOk m) {
            onPrepareOk(from, m);
        } else if (message instanceof Commit m) {
            onCommit(from, m);
        } else if (message instanceof Ping m) {
            onPing(from, m);
        } else if (message instanceof Pong m) {
            onPong(from, m);
        } else if (message instanceof PreVote m) {
            election.onPreVote(from, m);
        } else if (message instanceof PreVoteReply m) {
            election.onPreVoteReply(from, m);
        } else if (message instanceof StartViewChange m) {
            election.onStartViewChange(from, m);
        } else if (message instanceof DoViewChange m) {
            onDoViewChange(from, m);
        } else if (message instanceof StartView m) {
            onStartView(from, m);
        } else if (message instanceof GetState m) {
            onGetState(from, m);
        } else if (message instanceof NewState m) {
            onNewState(from, m);
        } else if (message instanceof Recovery m) {
            onRecovery(from, m);
        } else if (message instanceof RecoveryResponse m) {
            onRecoveryResponse(from, m);
        } else if (message instanceof Transfer m) {
            onTransfer(from, m);
        } else {
            drop("unknown message type " + message.getClass().getSimpleName());
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Normal operation.

    private void onRequest(Request request) {
        if (!isServingPrimary()) {
            int hint = status == Status.NORMAL && !isPrimary() ? config.primaryOf(view) : -1;
            reply(request, Outcome.NOT_PRIMARY, null, hint);
            return;
        }
        if (request.requestNumber() == LogEntry.REGISTER) {
            ClientTable.Session session = clients.session(request.clientId());
            if (session != null) {
                reply(request, Outcome.OK, new byte[0], self, session.registeredAt()); // registered already
                return;
            }
        } else {
            switch (clients.judge(request.clientId(), request.requestNumber())) {
                case DUPLICATE -> {
                    ClientTable.Session session = clients.session(request.clientId());
                    reply(request, Outcome.OK, session.result(), self, session.op());
                    return;
                }
                case STALE -> {
                    reply(request, Outcome.STALE_REQUEST, null, self);
                    return;
                }
                case EVICTED, EXECUTE -> {
                    // EVICTED is decided when applied, so that every replica decides it at the same op (a registration
                    // may be committed here but not yet applied).
                }
            }
        }
        for (Request pending : localPending.values()) {
            if (pending.clientId() == request.clientId() && pending.requestNumber() == request.requestNumber()) {
                return; // already in the log; its reply comes when it commits
            }
        }
        long op = appendAsPrimary(request.clientId(), request.requestNumber(), request.command(), request);
        if (op < 0) reply(request, Outcome.BUSY, null, self); // backups are behind; what is uncommitted must fit a view change
    }

    /**
     * The serving primary appends an entry and prepares it at the backups; {@code request} (null for the group's own
     * entries) is answered when it commits. Returns the op-number, or -1 when the pipeline is full (nothing appended).
     */
    private long appendAsPrimary(long clientId, long requestNumber, byte[] command, Request request) {
        long op = log.lastOp() + 1;
        LogEntry entry = new LogEntry(view, op, log.lastChecksum(), clientId, requestNumber, command);
        int bytes = ReplicaConfig.entryBytes(entry);
        if (request != null && (handoverTarget >= 0 || pipelineBytes > 0 && pipelineBytes + bytes > config.messageBudgetBytes() / 2)) {
            return -1;
        }
        pipelineBytes += bytes;
        log.append(entry);
        ackedOp[self] = op;
        effects.persist.add(new Effects.AppendEntries(List.of(entry), commit));
        if (request != null) localPending.put(op, request);
        for (int r = 0; r < replicaCount; r++) {
            if (r != self) send(r, new Prepare(view, op, commit, entry));
        }
        advancePrimaryCommit();
        return op;
    }

    /**
     * The client-table capacity is the group's committed configuration: a primary of a group that has none yet (a
     * new group) proposes its own setting, once, through the log. Every replica applies the same entry at the same op.
     */
    private void proposeConfigurationIfNeeded() {
        if (clients.configured() || !isServingPrimary()) return;
        for (long op = Math.max(applied, log.base()) + 1; op <= log.lastOp(); op++) {
            if (log.get(op).clientId() == LogEntry.GROUP) return; // proposed already, not yet applied
        }
        appendAsPrimary(LogEntry.GROUP, 1, ClientTable.configureCommand(config.clientTableCapacity()), null);
    }

    /**
     * Changes the group's client-table capacity through the log (at the serving primary). Sessions above the new
     * capacity are evicted, least recently used first, when the entry is applied.
     *
     * @throws IllegalStateException    when this replica is not the serving primary
     * @throws IllegalArgumentException when {@code capacity} is out of range
     */
    public Effects configureClientTable(int capacity) {
        if (capacity < 1 || capacity > ClientTable.MAX_CAPACITY) {
            throw new IllegalArgumentException("client table capacity " + capacity + " is not allowed: expected 1 to " + ClientTable.MAX_CAPACITY);
        }
        if (!isServingPrimary()) throw new IllegalStateException("replica " + self + " is not the serving primary; the primary is " + primary());
        Status before = status;
        long viewBefore = view;
        appendAsPrimary(LogEntry.GROUP, 1, ClientTable.configureCommand(capacity), null);
        checkInvariants(before, viewBefore);
        return drain();
    }

    /** The group's committed client-table capacity as this replica has applied it. */
    public int clientTableCapacity() {
        return clients.capacity();
    }

    private void onPrepare(int from, Prepare m) {
        if (ignoreFromOldView(m.view())) return;
        if (m.entry().op() != m.op() || m.commit() < 0 || from != config.primaryOf(m.view())) {
            drop("Prepare inconsistent: op " + m.op() + ", entry op " + m.entry().op() + ", from " + from);
            return;
        }
        if (m.view() > view || status != Status.NORMAL) {
            learnNewerView(m.view(), from);
            return;
        }
        if (isPrimary()) {
            drop("Prepare for own view " + view + " from " + from);
            return;
        }
        heardPrimary();
        long op = log.lastOp();
        if (m.op() == op + 1) {
            if (!m.entry().follows(op, log.lastChecksum())) {
                // Log matching: our entry at op is not the primary's. Never acknowledge a log that is not a prefix
                // of the primary's; find where it diverges by fetching from our commit-number.
                drop("Prepare for op " + m.op() + " from " + from + " does not follow our entry at op " + op + " (divergent log)");
                requestStateFromCommit(from);
                return;
            }
            log.append(m.entry());
            effects.persist.add(new Effects.AppendEntries(List.of(m.entry()), commit));
            send(from, prepareOk());
        } else if (m.op() <= op) {
            // A retransmission: our PrepareOk may have been lost. Answer only if we hold the same entry there; the
            // checksum in the answer lets the primary check the rest.
            if (m.op() > log.base() && log.get(m.op()).checksum() != m.entry().checksum()) {
                drop("Prepare for op " + m.op() + " from " + from + " differs from our entry there (divergent log)");
                requestStateFromCommit(from);
                return;
            }
            send(from, prepareOk());
        } else {
            requestState(from); // a gap: fetch what we missed; nothing of ours is known to be the primary's yet
            return;
        }
        // Everything up to m.op() is the primary's (the entry chains onto our log, or equals ours there).
        advanceBackupCommit(Math.min(m.commit(), m.op()));
    }

    /** Our cumulative acknowledgement: our last op and its checksum, which the primary compares with its own. */
    private PrepareOk prepareOk() {
        return new PrepareOk(view, log.lastOp(), log.lastChecksum());
    }

    private void onPrepareOk(int from, PrepareOk m) {
        if (!isServingPrimary() || m.view() != view) {
            ignore("PrepareOk of view " + m.view() + " from " + from + ": " + (isServingPrimary() ? "not our view " + view : "not the serving primary"));
            return;
        }
        if (m.op() > log.lastOp()) {
            drop("PrepareOk for op " + m.op() + " beyond primary's op " + log.lastOp());
            return;
        }
        if (log.knows(m.op()) && log.checksumAt(m.op()) != m.checksum()) {
            drop("PrepareOk for op " + m.op() + " from " + from + " names another entry than ours (divergent log)");
            return;
        }
        ackedOp[from] = Math.max(ackedOp[from], m.op());
        advancePrimaryCommit();
    }

    private void onCommit(int from, Commit m) {
        if (ignoreFromOldView(m.view())) return;
        if (from != config.primaryOf(m.view())) {
            drop("Commit for view " + m.view() + " from non-primary " + from);
            return;
        }
        if (m.view() > view || status != Status.NORMAL) {
            learnNewerView(m.view(), from);
            return;
        }
        if (isPrimary()) return;
        heardPrimary();
        if (m.commit() > log.lastOp()) requestState(from);
        advanceBackupCommit(m.commit());
    }

    /** The primary commits the highest op that a quorum (itself included) holds in this view. */
    private void advancePrimaryCommit() {
        long quorumOp = Quorum.agreed(ackedOp);
        if (quorumOp > commit) {
            for (long op = Math.max(commit, log.base()) + 1; op <= quorumOp; op++) pipelineBytes -= ReplicaConfig.entryBytes(log.get(op));
            commit = quorumOp;
            applyCommitted();
        }
    }

    private void advanceBackupCommit(long primaryCommit) {
        long newCommit = Math.min(primaryCommit, log.lastOp());
        if (newCommit > commit) {
            commit = newCommit;
            applyCommitted();
        }
    }

    private void applyCommitted() {
        while (applied < commit) {
            LogEntry entry = log.get(applied + 1);
            applied++;
            byte[] result = null;
            boolean duplicate = true; // not applied to the state machine
            Outcome outcome = Outcome.OK;
            if (entry.clientId() == LogEntry.GROUP) {
                try {
                    clients.configure(ClientTable.capacityOf(entry.command()));
                } catch (IllegalArgumentException e) {
                    // Every replica ignores the same malformed entry; nothing else depends on it.
                }
            } else if (entry.requestNumber() == LogEntry.REGISTER) {
                clients.register(entry.clientId(), entry.op());
                result = new byte[0];
            } else {
                switch (clients.judge(entry.clientId(), entry.requestNumber())) {
                    case EXECUTE -> {
                        result = stateMachine.apply(entry.op(), entry.command());
                        clients.record(entry.clientId(), entry.requestNumber(), result, entry.op());
                        duplicate = false;
                    }
                    case DUPLICATE -> result = clients.session(entry.clientId()).result();
                    case STALE -> outcome = Outcome.STALE_REQUEST;
                    case EVICTED -> outcome = Outcome.EVICTED;
                }
            }
            effects.committed.add(new Effects.Committed(entry, result, duplicate, view));
            Request request = localPending.remove(entry.op());
            long replyOp = outcome != Outcome.OK ? -1 : entry.requestNumber() == LogEntry.REGISTER && entry.clientId() != LogEntry.GROUP
                    ? clients.session(entry.clientId()).registeredAt() // the client numbers its requests above it
                    : entry.op();
            if (request != null) reply(request, outcome, result, self, replyOp);
        }
        int interval = config.checkpointIntervalOps();
        if (interval > 0 && applied - log.base() >= interval) takeCheckpoint();
        proposeConfigurationIfNeeded();
    }

    // ------------------------------------------------------------------------------------------------
    // Checkpoints.

    /** Checkpoints the applied state and drops the log up to it. */
    private void takeCheckpoint() {
        byte[] table = clients.encode();
        byte[] machine = stateMachine.snapshot();
        byte[] state = java.nio.ByteBuffer.allocate(4 + table.length + machine.length).putInt(table.length).put(table).put(machine).array();
        checkpoint = new Checkpoint(applied, log.checksumAt(applied), state);
        log.compactTo(applied);
        effects.persist.add(new Effects.InstallCheckpoint(checkpoint, log.after(log.base()), commit));
    }

    /** Restores client table and state machine from {@code c}; applied and commit move up to its op. */
    private void restoreCheckpoint(Checkpoint c) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(c.state());
        int tableLength = b.getInt();
        if (tableLength < 4 || tableLength > b.remaining()) throw new IllegalArgumentException("checkpoint at op " + c.op() + " is malformed");
        // Decode everything before installing anything: a malformed checkpoint leaves this replica as it was.
        ClientTable.Decoded table = ClientTable.decode(java.nio.ByteBuffer.wrap(c.state(), 4, tableLength));
        stateMachine.restore(java.util.Arrays.copyOfRange(c.state(), 4 + tableLength, c.state().length));
        clients.install(table);
        checkpoint = c;
        applied = Math.max(applied, c.op());
        commit = Math.max(commit, c.op());
    }

    /**
     * Installs a peer's checkpoint that is ahead of our commit-number, followed by {@code logAfter}, which must
     * chain onto it. Pass null for {@code logAfter} to keep those of our own entries after the checkpoint that
     * still chain onto it (they are then the same history); the others are dropped.
     */
    private void installCheckpoint(Checkpoint c, List<LogEntry> logAfter) {
        if (c.op() <= commit) throw new InvariantViolation(self, view, log.lastOp(), "installing checkpoint at op " + c.op() + " at or below commit " + commit);
        List<LogEntry> after = logAfter;
        if (after == null) {
            after = List.of();
            if (log.lastOp() > c.op() && log.get(c.op() + 1).parent() == c.checksum()) after = log.after(c.op());
        }
        if (after.isEmpty() || log.lastOp() > c.op() && log.get(c.op() + 1).checksum() != after.get(0).checksum()) logChangedAfter(c.op());
        restoreCheckpoint(c);
        log.resetTo(c.op(), c.checksum(), after);
        localPending.headMap(c.op(), true).clear();
        effects.restoredCheckpointOp = c.op();
        effects.persist.add(new Effects.InstallCheckpoint(c, log.after(log.base()), commit));
    }

    // ------------------------------------------------------------------------------------------------
    // Connectivity.

    private void onPing(int from, Ping m) {
        send(from, new Pong(view, status, commit, quorumConnected(), m.sendTick()));
        observePeer(from, m.view(), m.status(), m.commit());
    }


    private void onPong(int from, Pong m) {
        connectivity.onPong(from, m.echoTick(), now);
        observePeer(from, m.view(), m.status(), m.commit());
    }

    /** What a peer's ping or pong tells us: a newer view to catch up with, or committed ops we lack. */
    private void observePeer(int from, long peerView, Status peerStatus, long peerCommit) {
        election.observedPeer(from, peerView, peerStatus);
        if (peerStatus == Status.NORMAL && peerView >= view) knownCommit = Math.max(knownCommit, peerCommit);
        if (status == Status.RECOVERING || peerStatus != Status.NORMAL) return;
        if (peerView > view) {
            learnNewerView(peerView, from);
        } else if (peerView == view && status == Status.NORMAL && !isPrimary() && peerCommit > log.lastOp()) {
            requestState(from);
        }
    }

    public boolean quorumConnected() {
        return connectivity.quorumConnected(now);
    }

    // ------------------------------------------------------------------------------------------------
    // Timeouts.

    /**
     * Every timeout of the replica, from this one table, each tick, in this order. Each says in which status it
     * runs and what it leads out of, so that no status waits for ever. Names: a "...DeadlineTick" is an absolute
     * tick, a "last...Tick" starts an interval, a "...SinceTick" starts a duration (-1 when not running).
     */
    private void onTick() {
        heartbeatTimeout();                               // any status: pings, so connectivity (and QC) stays current
        if (status != Status.RECOVERING || catchUpView >= 0) retryCatchUp(); // a catch-up whose answer did not come
        if (status == Status.RECOVERING && catchUpView < 0 && now >= recoveryDeadlineTick) startRecovery(); // fresh nonce
        if (status == Status.NORMAL && isPrimary()) primaryTimeouts(); // abdication, hand-over, commits
        if (status == Status.NORMAL && !isPrimary()) backupTimeouts(); // campaign when the primary is silent
        if (status == Status.VIEW_CHANGE) viewChangeTimeouts(); // repeat StartViewChange; give up and campaign again
        election.anyStatusTimeouts();                     // any status: e.g. a pre-vote without a quorum
    }

    /** Any status: a ping to every peer each heartbeat (the round trips decide connectivity). */
    private void heartbeatTimeout() {
        if (now - lastPingTick < config.heartbeatTicks()) return;
        lastPingTick = now;
        for (int r = 0; r < replicaCount; r++) {
            boolean connected = r != self && connectivity.connected(r, now);
            if (connected != peerConnected[r]) {
                peerConnected[r] = connected;
                effects.events.add(new ReplicaEvent.PeerConnectivity(r, connected));
            }
        }
        boolean qc = quorumConnected();
        for (int r = 0; r < replicaCount; r++) {
            if (r != self) send(r, new Ping(view, status, commit, qc, now));
        }
    }

    /**
     * NORMAL, serving primary: abdicate after an election timeout without being quorum-connected; announce or
     * abandon a hand-over; move the group above a peer stuck in a higher view change; send commits (heartbeats) and
     * retransmit to backups that are behind.
     */
    private void primaryTimeouts() {
        boolean wasAbdicated = election.abdicated();
        boolean serving = election.primaryMayServe();
        if (wasAbdicated != election.abdicated()) {
            effects.events.add(wasAbdicated ? new ReplicaEvent.ServingAgain(view) : new ReplicaEvent.Abdicated(view));
        }
        if (!serving) return; // abdicated
        lastPrimaryContactTick = now;
        if (handoverTarget >= 0) {
            if (now > handoverDeadlineTick) {
                effects.events.add(new ReplicaEvent.Handover(view, handoverTarget, "abandoned"));
                handoverTarget = -1; // the successor did not take over: serve again
            } else if (!handoverAnnounced && ackedOp[handoverTarget] == log.lastOp()) {
                handoverAnnounced = true;
                effects.events.add(new ReplicaEvent.Handover(view, handoverTarget, "announced"));
                election.successorNamed(handoverTarget, handoverDeadlineTick);
                broadcast(new Transfer(view, handoverTarget));
            }
        }
        election.primaryTimeouts(); // may campaign (move the group above a peer stuck in a higher view change)
        if (status != Status.NORMAL || !isPrimary()) return;
        if (now - lastCommitSentTick >= config.heartbeatTicks()) {
            lastCommitSentTick = now;
            for (int r = 0; r < replicaCount; r++) {
                if (r == self) continue;
                if (Math.max(ackedOp[r], log.base()) < log.lastOp()) {
                    // Retransmit the first operation this backup has not acknowledged (or the first still in our
                    // log): its PrepareOk tells us how far it really is, and a gap makes it fetch the rest by state
                    // transfer, with our checkpoint if it is that far behind.
                    LogEntry next = log.get(Math.max(ackedOp[r], log.base()) + 1);
                    send(r, new Prepare(view, next.op(), commit, next));
                } else {
                    send(r, new Commit(view, commit));
                }
            }
        }
    }

    /** NORMAL backup: campaign when the primary was silent for an election timeout. */
    private void backupTimeouts() {
        election.backupTimeouts(); // e.g. a named successor of a leadership transfer campaigns again
        if (status == Status.NORMAL && now >= electionDeadlineTick) {
            if (!primarySilenceReported) { // once per silent period: a cut-off backup would repeat it every election timeout
                primarySilenceReported = true;
                effects.events.add(new ReplicaEvent.PrimarySilent(view, config.primaryOf(view), now - lastHeardPrimaryTick, quorumConnected()));
            }
            election.campaign();
            resetElectionDeadline();
        }
    }

    /** VIEW_CHANGE: the candidate repeats StartViewChange each heartbeat; at the deadline, campaign again. */
    private void viewChangeTimeouts() {
        if (config.primaryOf(view) == self && now - lastCommitSentTick >= config.heartbeatTicks()) {
            // Candidate: repeat StartViewChange so that lost messages do not stall the view change.
            lastCommitSentTick = now;
            broadcast(new StartViewChange(view, quorumConnected(), viewChangeBaseOp));
        }
        election.viewChangeTimeouts(); // plain VR: members repeat themselves too
        if (status == Status.VIEW_CHANGE && now >= viewChangeDeadlineTick) {
            viewChangeDeadlineTick = randomizedDeadline(config.viewChangeTimeoutTicks());
            election.campaign();
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Status transitions. Each states every field it resets and checks what it relies on; no other code changes
    // status, view or last normal view (bootstrap, restart and recover set the first status).

    /**
     * Any status but RECOVERING to VIEW_CHANGE of {@code newView} (a campaign, joining one, or learning that a newer
     * view started): persisted at once, log and last normal view untouched; work of the old view is dropped.
     */
    private void enterViewChange(long newView, String reason) {
        if (newView <= view) throw new InvariantViolation(self, view, log.lastOp(), "view change to old view " + newView);
        if (status == Status.RECOVERING) throw new InvariantViolation(self, view, log.lastOp(), "view change while recovering");
        effects.events.add(new ReplicaEvent.ViewChangeStarted(newView, view, config.primaryOf(newView), reason));
        view = newView;
        status = Status.VIEW_CHANGE;
        viewChangeDeadlineTick = randomizedDeadline(config.viewChangeTimeoutTicks());
        Arrays.fill(doViewChanges, null);
        viewChangeBaseOp = 0;
        handoverTarget = -1;
        catchUpView = -1;
        election.enteredViewChange();
        failLocalPending();
        effects.persist.add(new Effects.SaveViewState(view, lastNormalView));
    }

    /** A campaign won its pre-vote (or an election decided so): enter the view change we lead and ask everyone to join. */
    private void startCandidacy(long candidateView) {
        enterViewChange(candidateView, "candidate: a quorum granted the pre-vote");
        viewChangeBaseOp = commit;
        doViewChanges[self] = ownDoViewChange();
        lastCommitSentTick = now;
        broadcast(new StartViewChange(view, true, viewChangeBaseOp));
        maybeStartView();
    }

    /**
     * Our DoViewChange for a candidate that holds the committed entries up to {@code candidateBase}: the entries
     * after it, or, when those would not fit the message budget, after the point (at most our commit-number)
     * from which they do. The candidate fetches committed entries it then lacks by state transfer.
     */
    private DoViewChange myDoViewChange(long candidateBase) {
        long from = Math.max(Math.min(candidateBase, log.lastOp()), log.base());
        long afterOp = fittingAfter(from, Math.max(from, commit));
        return new DoViewChange(view, lastNormalView, log.lastOp(), commit, afterOp, log.after(afterOp));
    }

    /** Our own DoViewChange as candidate (it is not sent, so it need not fit a message): the log after our commit. */
    private DoViewChange ownDoViewChange() {
        return new DoViewChange(view, lastNormalView, log.lastOp(), commit, commit, log.after(commit));
    }

    /**
     * The smallest op in [{@code from}, {@code upTo}] after which our log's entries fit the message budget, or
     * {@code upTo} when even those do not fit.
     */
    private long fittingAfter(long from, long upTo) {
        long bytes = 0;
        long op = log.lastOp();
        while (op > from) {
            long next = bytes + ReplicaConfig.entryBytes(log.get(op));
            if (next > config.messageBudgetBytes()) break;
            bytes = next;
            op--;
        }
        return Math.min(Math.max(op, from), Math.max(upTo, from));
    }

    private void onDoViewChange(int from, DoViewChange m) {
        if (!validLog(m.log(), m.afterOp(), m.op()) || m.commit() > m.op() || m.lastNormalView() >= m.view()) {
            drop("DoViewChange with an inconsistent log from " + from);
            return;
        }
        if (config.primaryOf(m.view()) != self || status == Status.RECOVERING || m.view() < view) {
            ignore("DoViewChange for view " + m.view() + " from " + from + ": " + (config.primaryOf(m.view()) != self ? "we do not lead it"
                    : status == Status.RECOVERING ? "recovering" : "below our view " + view));
            return;
        }
        if (m.view() > view && !election.joinsOnDoViewChange(from, m)) return;
        if (status != Status.VIEW_CHANGE) {
            ignore("DoViewChange for view " + m.view() + " from " + from + ": the view has started");
            return;
        }
        if (m.afterOp() > Math.max(m.commit(), viewChangeBaseOp)) {
            drop("DoViewChange from " + from + " leaves out entries after op " + m.afterOp() + " that are not known committed");
            return;
        }
        doViewChanges[from] = m;
        maybeStartView();
    }

    /**
     * With a quorum of DoViewChange messages, start the view with the best log: largest last normal view, then op.
     * If that log's message starts above our commit-number, fetch the committed entries in between first (from its
     * sender, by state transfer) and try again when they are here.
     */
    private void maybeStartView() {
        if (status != Status.VIEW_CHANGE || config.primaryOf(view) != self) return;
        if (election.candidateCountsItselfAtOnce() || doViewChanges[self] != null) doViewChanges[self] = ownDoViewChange();
        int count = 0;
        int bestFrom = -1;
        long maxCommit = commit;
        long minCommit = commit;
        for (int r = 0; r < replicaCount; r++) {
            DoViewChange d = doViewChanges[r];
            if (d == null) continue;
            count++;
            maxCommit = Math.max(maxCommit, d.commit());
            minCommit = Math.min(minCommit, d.commit());
            DoViewChange best = bestFrom < 0 ? null : doViewChanges[bestFrom];
            if (best == null || d.lastNormalView() > best.lastNormalView()
                    || d.lastNormalView() == best.lastNormalView() && d.op() > best.op()) {
                bestFrom = r;
            }
        }
        if (!Quorum.reached(count, replicaCount) || bestFrom < 0) return;
        DoViewChange best = doViewChanges[bestFrom];
        if (best.op() < maxCommit) {
            throw new InvariantViolation(self, view, log.lastOp(), "chosen log ends at op " + best.op()
                    + " below the highest commit-number " + maxCommit);
        }
        if (best.afterOp() > commit) {
            // Entries up to best.afterOp() are committed (at most its sender's commit-number); we lack some.
            fetchCommitted(bestFrom);
            return;
        }
        replaceLogAfter(best.afterOp(), best.log());
        enterNormalAsPrimary();
        commit = Math.max(commit, maxCommit);
        // Every replica that sent a DoViewChange holds the committed entries up to its commit-number; send the
        // rest, as far as it fits one message. A replica further behind fetches what it lacks by state transfer.
        long floor = Math.max(Math.min(minCommit, log.lastOp()), log.base());
        long afterOp = fittingAfter(floor, Math.max(floor, commit));
        List<LogEntry> entries = log.after(afterOp);
        for (int r = 0; r < replicaCount; r++) {
            if (r != self) send(r, new StartView(view, log.lastOp(), commit, afterOp, entries));
        }
        recomputePipelineBytes();
        applyCommitted();
    }

    /** The candidate fetches committed entries from {@code source}, which is in the same view change. */
    private void fetchCommitted(int source) {
        if (catchUpView == view && now - catchUpAskedTick < config.transferRetryTicks() && catchUpSource == source) return;
        catchUpView = view;
        catchUpAskedTick = now;
        catchUpSource = source;
        send(source, getState(view, commit));
    }

    private void recomputePipelineBytes() {
        pipelineBytes = 0;
        for (long op = Math.max(commit, log.base()) + 1; op <= log.lastOp(); op++) pipelineBytes += ReplicaConfig.entryBytes(log.get(op));
    }

    /** VIEW_CHANGE to NORMAL as the primary of our view, with the chosen log in place (the view change's end). */
    private void enterNormalAsPrimary() {
        if (status != Status.VIEW_CHANGE || !isPrimary()) {
            throw new InvariantViolation(self, view, log.lastOp(), "starting view " + view + " from " + status + (isPrimary() ? "" : " as a backup"));
        }
        lastNormalView = view;
        status = Status.NORMAL;
        viewChangesCompleted++;
        effects.persist.add(new Effects.SaveViewState(view, lastNormalView));
        effects.events.add(new ReplicaEvent.BecamePrimary(view, log.lastOp(), commit, withoutPrimaryTicks()));
        becomePrimary();
    }

    /** The primary's volatile state, reset whenever this replica becomes the primary of a view (also at start). */
    private void becomePrimary() {
        Arrays.fill(ackedOp, 0);
        ackedOp[self] = log.lastOp();
        Arrays.fill(doViewChanges, null);
        election.enteredNormal();
        handoverTarget = -1;
        lastCommitSentTick = now - config.heartbeatTicks(); // announce ourselves on the next tick
        recomputePipelineBytes();
        catchUpView = -1;
    }

    private void onStartView(int from, StartView m) {
        if (config.primaryOf(m.view()) != from || !validLog(m.log(), m.afterOp(), m.op()) || m.commit() > m.op()) {
            drop("StartView inconsistent from " + from);
            return;
        }
        if (status == Status.RECOVERING || m.view() < view || m.view() == view && status == Status.NORMAL) {
            ignore("StartView of view " + m.view() + " from " + from + ": " + (status == Status.RECOVERING ? "recovering"
                    : m.view() < view ? "below our view " + view : "our view has started"));
            return;
        }
        if (m.afterOp() > commit) {
            // We may not hold the committed entries the message leaves out: fetch them, then adopt the view.
            learnNewerView(m.view(), from);
            return;
        }
        adoptView(m.view(), m.afterOp(), m.log(), m.commit());
        send(from, prepareOk());
    }

    /** A GetState asking for the entries after {@code op}, naming the checkpoint we are assembling, if any. */
    private int checkpointCrc() {
        if (crcOp != checkpoint.op() || crcChecksum != checkpoint.checksum()) {
            crcOfState = CheckpointChunk.crc(checkpoint.state());
            crcOp = checkpoint.op();
            crcChecksum = checkpoint.checksum();
        }
        return crcOfState;
    }

    private GetState getState(long askView, long op) {
        return new GetState(askView, op, incoming.op(), incoming.nextOffset());
    }

    /**
     * Any status to NORMAL as a backup of {@code newView} (at least our view), with our log up to {@code afterOp}
     * (where both logs provably agree) and the sender's after it, in one step: view, last normal view and log change
     * together and are persisted together.
     */
    private void adoptView(long newView, long afterOp, List<LogEntry> suffix, long newCommit) {
        if (newView < view || config.primaryOf(newView) == self) {
            throw new InvariantViolation(self, view, log.lastOp(), "adopting view " + newView + " as a backup");
        }
        replaceLogAfter(afterOp, suffix);
        boolean recovered = status == Status.RECOVERING;
        boolean wasNormalHere = status == Status.NORMAL && newView == view;
        view = newView;
        lastNormalView = newView;
        status = Status.NORMAL;
        if (!wasNormalHere) {
            effects.events.add(new ReplicaEvent.BecameBackup(newView, config.primaryOf(newView), log.lastOp(),
                    withoutPrimaryTicks(), recovered));
        }
        catchUpView = -1;
        election.enteredNormal();
        refusal = "";
        failLocalPending();
        if (localReadFloor == Long.MAX_VALUE) localReadFloor = log.lastOp(); // recovered: current once that is committed
        effects.persist.add(new Effects.SaveViewState(view, lastNormalView));
        heardPrimary();
        advanceBackupCommit(newCommit);
    }

    /** Drops our entries after {@code op}, which differ from a log we trust there (so were never committed). */
    private void truncateDivergentTail(long op) {
        log.truncateAfter(op);
        logChangedAfter(op);
        effects.persist.add(new Effects.TruncateAfter(op));
    }

    /** Our log no longer holds what it held after {@code op}: nothing there was committed (see localReadFloor). */
    private void logChangedAfter(long op) {
        if (localReadFloor != Long.MAX_VALUE) localReadFloor = Math.min(localReadFloor, Math.max(op, commit));
    }

    /**
     * Keeps our log up to {@code afterOp} (which we hold: committed, or in our checkpoint) and replaces the rest
     * with {@code suffix}, checking that no committed entry changes.
     */
    private void replaceLogAfter(long afterOp, List<LogEntry> suffix) {
        if (afterOp > commit) {
            throw new InvariantViolation(self, view, log.lastOp(), "keeping our log up to op " + afterOp + " above commit " + commit);
        }
        long newLast = suffix.isEmpty() ? afterOp : suffix.get(suffix.size() - 1).op();
        if (newLast < commit) {
            throw new InvariantViolation(self, view, log.lastOp(), "new log ends at op " + newLast + " and would drop committed op " + commit);
        }
        for (LogEntry e : suffix) {
            if (e.op() > log.base() && e.op() <= commit && !e.equals(log.get(e.op()))) {
                throw new InvariantViolation(self, view, log.lastOp(), "new log changes committed op " + e.op()
                        + ": " + log.get(e.op()) + " -> " + e);
            }
            if (e.op() == Math.max(afterOp, log.base()) + 1 && e.parent() != log.checksumAt(e.op() - 1)) {
                throw new InvariantViolation(self, view, log.lastOp(), "new log does not continue our committed log at op " + (e.op() - 1));
            }
        }
        long firstDifferent = Math.max(afterOp, log.base()) + 1;
        for (LogEntry e : suffix) {
            if (e.op() < firstDifferent) continue;
            if (e.op() > log.lastOp() || log.get(e.op()).checksum() != e.checksum()) break;
            firstDifferent = e.op() + 1;
        }
        if (firstDifferent <= log.lastOp()) logChangedAfter(firstDifferent - 1);
        log.replaceAfter(afterOp, suffix);
        effects.persist.add(new Effects.ReplaceLog(log.after(log.base()), commit));
    }

    // ------------------------------------------------------------------------------------------------
    // State transfer (catching up with a view, VRR 5.2; where this departs from the paper, see the README).
    //
    // Two rules make it safe by construction:
    //  - A replica that learns of a newer view keeps its log as it is (no truncation): its last normal view and
    //    its log stay a truthful pair, so a DoViewChange it sends meanwhile claims nothing its log lacks.
    //  - It changes its log only in two ways: it writes entries the sender reports committed (the same in every
    //    view, so taking them cannot make any claim unsafe), and it adopts the newer view in one step, with the
    //    sender's whole log after a point where both logs provably agree (same checksum: same history).

    /** Is this message from a view we have left (or are leaving through state transfer)? */
    private boolean ignoreFromOldView(long messageView) {
        return status == Status.RECOVERING || messageView < view || catchUpView >= 0 && messageView < catchUpView;
    }

    /**
     * We learned that view {@code newView} started without us. Leave our view for it at once, in view-change status
     * and persisted (so that neither this replica nor a restart of it acts again as primary or backup of a view that
     * is over), keeping our log and last normal view as they are; then fetch the state from a replica in that view,
     * starting after our commit-number: entries up to it are the same in every view, so our log and theirs
     * provably agree up to there.
     */
    private void learnNewerView(long newView, int source) {
        if (newView > view) {
            enterViewChange(newView, "view " + newView + " started without us (learned from replica " + source + ")");
        } else if (catchUpView >= newView && now - catchUpAskedTick < config.transferRetryTicks()) {
            return;
        }
        if (catchUpView != newView) {
            effects.events.add(new ReplicaEvent.StateTransferStarted(newView, source, commit));
            catchUpSameSourceRetries = 0; // a new transfer: its retries start counting afresh
        }
        catchUpView = newView;
        catchUpAskedTick = now;
        catchUpSource = source;
        send(source, getState(catchUpView, commit));
    }

    /** Same view, but we lack entries: ask {@code source} for everything after our last op. */
    private void requestState(int source) {
        // Always rate-limited: an answer that brought nothing must not trigger the next question at once (with
        // duplicated messages such question-answer chains would multiply). Progress asks at once, explicitly.
        if (now - catchUpAskedTick < config.transferRetryTicks()) return;
        catchUpView = view;
        catchUpAskedTick = now;
        catchUpSource = source;
        send(source, getState(view, log.lastOp()));
    }

    /** Same view, but our log diverges from the primary's somewhere above our commit-number: fetch from there. */
    private void requestStateFromCommit(int source) {
        if (now - catchUpAskedTick < config.transferRetryTicks()) return;
        catchUpView = view;
        catchUpAskedTick = now;
        catchUpSource = source;
        send(source, getState(view, commit));
    }

    /**
     * A pending state transfer whose answer did not come: ask again, the next replica in turn, so that a lost
     * message or a dead source never leaves a replica waiting for ever. Runs in every status but RECOVERING.
     */
    private void retryCatchUp() {
        if (catchUpView < 0 || now - catchUpAskedTick < config.transferRetryTicks()) return;
        if (catchUpView == view && status == Status.NORMAL) {
            catchUpView = -1; // same view: the next Prepare, Commit or Pong asks again, perhaps someone else
            return;
        }
        if (catchUpView == view && status == Status.VIEW_CHANGE && config.primaryOf(view) == self) {
            catchUpAskedTick = now; // a candidate fetching committed entries asks the chosen log's sender again
            send(catchUpSource, getState(view, commit));
            return;
        }
        if (status == Status.RECOVERING) {
            // The primary did not answer: run Recovery again (a new nonce), which finds the current view and primary.
            catchUpView = -1;
            startRecovery();
            return;
        }
        int next = catchUpSource;
        if (incoming.op() > 0 && catchUpSameSourceRetries < SAME_SOURCE_RETRIES) {
            // A checkpoint is being assembled from catchUpSource: a lost chunk is asked for there again. Another replica
            // may hold a checkpoint at another op, whose chunks would start the assembly over (a long transfer that
            // moved on at every loss would never complete); only a source that stays silent is given up.
            catchUpSameSourceRetries++;
        } else {
            catchUpSameSourceRetries = 0;
            do {
                next = (next + 1) % replicaCount;
            } while (next == self);
        }
        catchUpAskedTick = now;
        catchUpSource = next;
        send(next, getState(catchUpView, commit));
    }

    private void onGetState(int from, GetState m) {
        if (m.op() < 0) return;
        // A normal replica answers with its whole log (in chunks). A replica in a view change answers only its
        // candidate, and only with committed entries: the candidate fetches those it lacks before starting the view.
        boolean whole = status == Status.NORMAL && m.view() <= view;
        boolean committedOnly = status == Status.VIEW_CHANGE && m.view() == view && from == config.primaryOf(view);
        if (!whole && !committedOnly) {
            ignore("GetState for view " + m.view() + " from " + from + ": " + status + " in view " + view);
            return;
        }
        long end = whole ? log.lastOp() : commit;
        long afterOp = Math.min(m.op(), end);
        if (afterOp < log.base()) {
            // Compacted: our checkpoint instead, one chunk at a time.
            int offset = checkpoint.op() == m.checkpointOp() ? m.checkpointOffset() : 0;
            CheckpointChunk chunk = CheckpointChunk.of(checkpoint, checkpointCrc(), offset, config.messageBudgetBytes());
            send(from, new NewState(view, log.base(), log.base(), commit, end, List.of(), chunk));
            return;
        }
        // Answer even when the asker seems up to date: a replica that missed StartView needs a NewState of this
        // view to adopt it, entries or not. One chunk of at most the message budget; the receiver asks for the rest.
        List<LogEntry> chunk = new ArrayList<>();
        long bytes = 0;
        for (long op = afterOp + 1; op <= end; op++) {
            LogEntry e = log.get(op);
            bytes += ReplicaConfig.entryBytes(e);
            if (!chunk.isEmpty() && bytes > config.messageBudgetBytes()) break;
            chunk.add(e);
        }
        send(from, new NewState(view, afterOp, afterOp + chunk.size(), commit, end, chunk, null));
    }

    private void onNewState(int from, NewState m) {
        // m.commit() may exceed m.op(): state transfer comes in chunks, and the sender's commit-number says
        // how far there is to go.
        if (!validLog(m.entries(), m.afterOp(), m.op()) || m.op() > m.logEnd() || m.commit() > m.logEnd()
                || m.checkpoint() != null && (m.checkpoint().op() != m.afterOp() || m.checkpoint().op() > m.commit() || !m.entries().isEmpty())) {
            drop("NewState inconsistent from " + from);
            return;
        }
        if (status == Status.RECOVERING) {
            // Recovery learned the view; the state comes by state transfer, from that view's primary only: a backup
            // may lack operations committed with this replica's own acknowledgement, which it no longer remembers.
            if (catchUpView >= 0 && m.view() >= catchUpView && from == config.primaryOf(m.view())) {
                catchUpToNewerView(from, m);
            } else {
                ignore("NewState of view " + m.view() + " from " + from + ": recovering takes the state only from the primary");
            }
            return;
        }
        if (m.view() < view) {
            ignore("NewState of view " + m.view() + " from " + from + ": below our view " + view);
            return;
        }
        if (m.checkpoint() != null) {
            onCheckpointChunk(from, m);
            return;
        }
        if (m.view() == view && status == Status.NORMAL) {
            appendSameView(from, m);
            return;
        }
        if (m.view() == view && status == Status.VIEW_CHANGE && config.primaryOf(view) == self) {
            // Committed entries the chosen log's message left out: take them and try to start the view again.
            long before = commit;
            if (log.knows(m.afterOp()) && (m.entries().isEmpty() || log.checksumAt(m.afterOp()) == m.entries().get(0).parent())) {
                writeCommitted(m.afterOp(), m.entries(), m.commit());
            }
            if (commit > before) catchUpAskedTick = now - config.transferRetryTicks(); // progress: the next chunk at once
            maybeStartView();
            return;
        }
        if (config.primaryOf(m.view()) == self) {
            drop("NewState for view " + m.view() + " which only this replica can start");
            return;
        }
        catchUpToNewerView(from, m);
    }

    /**
     * One chunk of a peer's checkpoint (we need operations it has compacted). Once the whole checkpoint has arrived
     * and checks out, it is installed (committed state: safe in any status) and the entries after it are asked for.
     */
    private void onCheckpointChunk(int from, NewState m) {
        CheckpointChunk chunk = m.checkpoint();
        long askView = catchUpView >= 0 ? catchUpView : view;
        if (chunk.op() <= commit) {
            incoming.clear();
            return; // we are past it
        }
        Checkpoint whole;
        long opBefore = incoming.op();
        int offsetBefore = incoming.nextOffset();
        try {
            whole = incoming.accept(chunk);
        } catch (IllegalArgumentException e) {
            drop("checkpoint chunk from " + from + ": " + e.getMessage());
            return;
        }
        if (whole == null && incoming.op() == opBefore && incoming.nextOffset() == offsetBefore) {
            ignore("checkpoint chunk from " + from + " at " + chunk.offset() + ": not the next one of the checkpoint being assembled");
            return; // no progress: the retry asks again, so that duplicated chunks do not multiply questions
        }
        if (whole != null) {
            try {
                installCheckpoint(whole, null);
            } catch (IllegalArgumentException e) {
                drop("checkpoint at op " + whole.op() + " from " + from + " does not restore: " + e.getMessage());
                return;
            }
        }
        if (catchUpView < 0) catchUpView = view;
        catchUpAskedTick = now;
        catchUpSource = from;
        catchUpSameSourceRetries = 0; // progress: this source answers
        send(from, getState(askView, commit));
    }

    /** A NewState of our own view: append what chains onto our log; only the primary's log may replace our tail. */
    private void appendSameView(int from, NewState m) {
        if (!log.knows(m.afterOp()) || !m.entries().isEmpty() && log.checksumAt(m.afterOp()) != m.entries().get(0).parent()) {
            drop("NewState from " + from + " does not continue our log at op " + m.afterOp());
            if (catchUpView == view) catchUpView = -1;
            if (from == config.primaryOf(view) && m.afterOp() > commit) requestStateFromCommit(from);
            return;
        }
        List<LogEntry> appended = new ArrayList<>();
        long verified = m.afterOp(); // up to here our log is the sender's (the chain matched at afterOp)
        for (LogEntry e : m.entries()) {
            if (e.op() <= log.lastOp()) {
                if (e.op() <= log.base() || log.get(e.op()).checksum() == e.checksum()) {
                    verified = e.op();
                    continue;
                }
                // Our tail diverges from the sender's here. Entries of this view come from its primary, so only the
                // primary's log may replace ours (what differs from it was never committed).
                if (from != config.primaryOf(view) || e.op() <= commit) {
                    drop("NewState from " + from + " differs from our entry at op " + e.op());
                    break;
                }
                truncateDivergentTail(e.op() - 1);
                appended.clear();
            }
            log.append(e);
            appended.add(e);
            verified = e.op();
        }
        if (!appended.isEmpty()) effects.persist.add(new Effects.AppendEntries(List.copyOf(appended), commit));
        catchUpView = -1;
        if (from == config.primaryOf(view)) heardPrimary();
        send(config.primaryOf(view), prepareOk());
        // Commit only what is now provably the sender's (a replica of our view, whose entries up to its commit-number
        // are committed): never our own entries past a point where the logs differ.
        advanceBackupCommit(Math.min(m.commit(), verified));
        if (m.commit() > log.lastOp()) {
            if (!appended.isEmpty()) catchUpAskedTick = now - config.transferRetryTicks(); // progress: the next chunk at once
            requestState(from);
        }
    }

    /**
     * A NewState of a view we have not started. Take the entries the sender reports committed (and its checkpoint
     * if we are that far behind); adopt the view only when the message carries the sender's whole log after a
     * point where ours provably agrees with it.
     */
    private void catchUpToNewerView(int from, NewState m) {
        if (m.checkpoint() != null) {
            onCheckpointChunk(from, m);
            return;
        }
        if (!log.knows(m.afterOp()) || m.afterOp() > commit
                || !m.entries().isEmpty() && log.checksumAt(m.afterOp()) != m.entries().get(0).parent()) {
            // An answer to an older request, or from a point we cannot check: the retry asks again (the next
            // replica in turn) from our commit-number.
            ignore("NewState of view " + m.view() + " from " + from + " after op " + m.afterOp() + ": not a point our log is known to share (commit " + commit + ")");
            catchUpView = Math.max(catchUpView, m.view());
            return;
        }
        boolean whole = m.op() == m.logEnd() && m.logEnd() >= commit;
        if (whole) {
            adoptView(m.view(), m.afterOp(), m.entries(), Math.min(m.commit(), m.logEnd()));
            send(config.primaryOf(view), prepareOk());
            return;
        }
        // Only a chunk: write the committed entries it carries, replacing ours where they differ (ours there were
        // never committed), and ask for the next chunk.
        long before = commit;
        writeCommitted(m.afterOp(), m.entries(), m.commit());
        catchUpView = Math.max(catchUpView, m.view());
        if (commit > before) {
            // Progress: ask the same replica for the next chunk at once. Without progress the retry asks the next.
            catchUpAskedTick = now;
            catchUpSource = from;
            send(from, getState(catchUpView, commit));
        }
    }

    /** Writes {@code entries} (after {@code afterOp}, where our log agrees) that are at or below {@code senderCommit}. */
    private void writeCommitted(long afterOp, List<LogEntry> entries, long senderCommit) {
        List<LogEntry> appended = new ArrayList<>();
        long last = afterOp;
        for (LogEntry e : entries) {
            if (e.op() > senderCommit) break;
            if (e.op() <= log.lastOp()) {
                if (e.op() <= log.base() || log.get(e.op()).checksum() == e.checksum()) {
                    last = e.op();
                    continue;
                }
                if (e.op() <= commit) {
                    throw new InvariantViolation(self, view, log.lastOp(), "committed op " + e.op() + " differs from the one a peer reports committed");
                }
                truncateDivergentTail(e.op() - 1);
                appended.clear();
            }
            log.append(e);
            appended.add(e);
            last = e.op();
        }
        if (last > commit) {
            commit = last;
            if (!appended.isEmpty()) effects.persist.add(new Effects.AppendEntries(List.copyOf(appended), commit));
            applyCommitted();
        } else if (!appended.isEmpty()) {
            effects.persist.add(new Effects.AppendEntries(List.copyOf(appended), commit));
        }
    }

    private void onTransfer(int from, Transfer m) {
        if (m.target() < 0 || m.target() >= replicaCount || m.target() == from) {
            drop("Transfer to " + m.target() + " from " + from);
            return;
        }
        if (status != Status.NORMAL || m.view() != view || from != config.primaryOf(view)) return;
        election.successorNamed(m.target(), now + 2L * config.electionTimeoutTicks());
    }

    // ------------------------------------------------------------------------------------------------
    // Recovery (diskless mode, or a corrupt disk).

    private void startRecovery() {
        recoveryNonce = random.nextLong();
        recoveryDeadlineTick = now + config.transferRetryTicks();
        Arrays.fill(recoveryResponses, null);
        if (refusal.isEmpty()) {
            refusal = "recovering: asked all peers for the state, serving nothing until " + quorum
                    + " of them answer including the primary";
        }
        broadcast(new Recovery(recoveryNonce));
    }

    private void onRecovery(int from, Recovery m) {
        if (status != Status.NORMAL) return;
        send(from, new RecoveryResponse(view, m.nonce(), log.lastOp(), commit, isPrimary()));
    }

    /**
     * With answers from a quorum that include the primary of the latest view among them, the recovering replica
     * knows which view it rejoins. It fetches that view's state by state transfer (in chunks, from the primary
     * first), still serving and voting for nothing, and becomes a normal backup only when it has adopted the view
     * with the whole log (see {@link #catchUpToNewerView}).
     */
    private void onRecoveryResponse(int from, RecoveryResponse m) {
        if (m.commit() > m.op() || m.op() < 0 || m.commit() < 0) {
            drop("RecoveryResponse inconsistent from " + from);
            return;
        }
        if (status != Status.RECOVERING || m.nonce() != recoveryNonce || catchUpView >= 0) return;
        recoveryResponses[from] = m;
        int count = 0;
        long latestView = -1;
        for (RecoveryResponse r : recoveryResponses) {
            if (r == null) continue;
            count++;
            latestView = Math.max(latestView, r.view());
        }
        int primaryIndex = config.primaryOf(latestView);
        RecoveryResponse primary = recoveryResponses[primaryIndex];
        boolean havePrimary = primary != null && primary.view() == latestView && primary.primary();
        if (!Quorum.reached(count, replicaCount) || !havePrimary) {
            refusal = "recovering: " + count + " of " + quorum + " answers" + (havePrimary ? "" : ", none from the primary of view " + latestView)
                    + "; serving nothing (if more than " + (replicaCount - quorum)
                    + " replicas lost their memory at once, the state cannot be recovered safely and an operator must decide)";
            return;
        }
        refusal = "recovering: fetching the state of view " + latestView + " from replica " + primaryIndex + " by state transfer";
        effects.events.add(new ReplicaEvent.StateTransferStarted(latestView, primaryIndex, commit));
        catchUpView = latestView;
        catchUpAskedTick = now;
        catchUpSource = primaryIndex;
        send(primaryIndex, getState(latestView, commit));
    }

    // ------------------------------------------------------------------------------------------------
    // Helpers.

    /** Entries numbered afterOp + 1 to lastOp without a gap, each naming the one before it as its parent. */
    private boolean validLog(List<LogEntry> entries, long afterOp, long lastOp) {
        if (entries == null || lastOp < afterOp || afterOp < 0 || entries.size() != lastOp - afterOp) return false;
        long expected = afterOp + 1;
        LogEntry previous = null;
        for (LogEntry e : entries) {
            if (e == null || e.op() != expected++ || previous != null && e.parent() != previous.checksum()) return false;
            previous = e;
        }
        return true;
    }

    /** True when {@code entries} is empty or its first entry names {@code checksum} as its parent. */
    private static boolean chainsOnto(List<LogEntry> entries, long checksum) {
        return entries.isEmpty() || entries.get(0).parent() == checksum;
    }

    private long withoutPrimaryTicks() {
        return lastPrimaryContactTick < 0 ? -1 : now - lastPrimaryContactTick;
    }

    private void heardPrimary() {
        primarySilenceReported = false;
        lastHeardPrimaryTick = now;
        lastPrimaryContactTick = now;
        resetElectionDeadline();
    }

    private void resetElectionDeadline() {
        electionDeadlineTick = randomizedDeadline(config.electionTimeoutTicks());
    }

    /** now + timeout + a random back-off of up to one more timeout, so that candidates rarely collide. */
    private long randomizedDeadline(int timeoutTicks) {
        return now + timeoutTicks + random.nextInt(timeoutTicks + 1);
    }

    private void failLocalPending() {
        for (Request request : localPending.values()) reply(request, Outcome.NOT_PRIMARY, null, -1);
        localPending.clear();
    }

    private void reply(Request request, Outcome outcome, byte[] result, int primaryHint) {
        reply(request, outcome, result, primaryHint, -1);
    }

    private void reply(Request request, Outcome outcome, byte[] result, int primaryHint, long op) {
        effects.replies.add(new Effects.Reply(request.clientId(), request.requestNumber(), outcome, result, primaryHint, op, view));
    }

    private void send(int to, Message message) {
        effects.messages.add(new Effects.Outbound(to, message));
    }

    private void broadcast(Message message) {
        for (int r = 0; r < replicaCount; r++) {
            if (r != self) send(r, message);
        }
    }

    private void drop(String reason) {
        droppedMessages++;
        lastDropReason = reason;
    }

    /**
     * A well-formed message this replica does not act on, and why (stale, not for its status, refused by a rule):
     * counted, with the last reason kept, so that a stalled view change or catch-up leaves a trace of why.
     */
    private void ignore(String reason) {
        ignoredMessages++;
        lastIgnoreReason = reason;
    }

    private Effects drain() {
        Effects out = effects;
        effects = new Effects();
        return out;
    }

    private void checkInvariants(Status statusBefore, long viewBefore) {
        long op = log.lastOp();
        if (commit > op) fail("commit-number " + commit + " > op-number " + op);
        if (applied > commit) fail("applied " + applied + " > commit-number " + commit);
        if (applied < log.base()) fail("applied " + applied + " below the checkpoint at " + log.base());
        if (lastNormalView > view) fail("last normal view " + lastNormalView + " > view " + view);
        if (view < viewBefore) fail("view went back from " + viewBefore + " to " + view);
        if (status == Status.NORMAL && lastNormalView != view) fail("normal status but last normal view " + lastNormalView);
        if (status == Status.VIEW_CHANGE && lastNormalView >= view) fail("view change to " + view + " from last normal view " + lastNormalView);
        if (status == Status.RECOVERING && statusBefore != Status.RECOVERING) fail("entered recovering status from " + statusBefore);
        if (statusBefore == Status.RECOVERING && status == Status.VIEW_CHANGE) fail("left recovering status for a view change");
        if (status == Status.NORMAL && isPrimary() && ackedOp[self] != op) fail("primary's own ack " + ackedOp[self] + " != op " + op);
        if (catchUpView >= 0 && catchUpView < view) fail("transfer to view " + catchUpView + " below view " + view);
    }

    private void fail(String what) {
        throw new InvariantViolation(self, view, log.lastOp(), what);
    }

    // ------------------------------------------------------------------------------------------------
    // Status (read-only; for the driver, operators and tests).

    public int self() { return self; }
    public long view() { return view; }
    public long lastNormalView() { return lastNormalView; }
    public Status status() { return status; }
    public long opNumber() { return log.lastOp(); }
    public long commitNumber() { return commit; }

    /** The highest commit-number this replica knows of (its own or one a peer reported in the same or a later view). */
    public long knownCommitNumber() { return Math.max(commit, knownCommit); }
    public long now() { return now; }
    public int primary() { return config.primaryOf(view); }
    public ReplicaConfig config() { return config; }

    /** True while this replica is the primary of its view in normal status and serving (not abdicated). */
    public boolean isServingPrimary() {
        return status == Status.NORMAL && isPrimary() && !election.abdicated();
    }

    private boolean isPrimary() {
        return config.primaryOf(view) == self;
    }

    public boolean connectedTo(int peer) {
        return connectivity.connected(peer, now);
    }

    /** The log entry at {@code op}, from {@link #logStart()} to {@link #opNumber()}. */
    public LogEntry entry(long op) {
        return log.get(op);
    }

    /** The first op-number still in the log (everything before is in the checkpoint). */
    public long logStart() {
        return log.base() + 1;
    }

    /** The latest checkpoint, or null. */
    public Checkpoint checkpoint() {
        return checkpoint;
    }

    /**
     * True when this replica's applied state is at least what it had applied before it last (re)started, so a local
     * read here never returns an older state than one it returned before. Always true for a replica that never
     * restarted.
     */
    public boolean localStateCurrent() {
        return status != Status.RECOVERING && commit >= localReadFloor;
    }

    /** Why this replica refuses to serve (empty while it serves). */
    public String refusal() {
        if (status == Status.RECOVERING) return refusal;
        return status == Status.NORMAL && isPrimary() ? election.refusal() : "";
    }

    public long droppedMessages() { return droppedMessages; }
    public String lastDropReason() { return lastDropReason; }
    /** Well-formed messages not acted on (stale, or refused by a rule), and the last reason. */
    public long ignoredMessages() { return ignoredMessages; }
    public String lastIgnoreReason() { return lastIgnoreReason; }
    public long viewChangesCompleted() { return viewChangesCompleted; }

    /** The replica as its election sees it: only what an election needs, on the replica's own thread. */
    private final class Host implements ElectionHost {
        @Override public ReplicaConfig config() { return config; }
        @Override public int self() { return self; }
        @Override public long now() { return now; }
        @Override public long view() { return view; }
        @Override public Status status() { return status; }
        @Override public long commit() { return commit; }
        @Override public long lastOp() { return log.lastOp(); }
        @Override public boolean quorumConnected() { return Replica.this.quorumConnected(); }
        @Override public long lastHeardPrimaryTick() { return lastHeardPrimaryTick; }
        @Override public void enterViewChange(long newView, String reason) { Replica.this.enterViewChange(newView, reason); }
        @Override public void startCandidacy(long newView) { Replica.this.startCandidacy(newView); }
        @Override public void sendDoViewChange(int to, long candidateBase) { send(to, myDoViewChange(candidateBase)); }
        @Override public void countOwnDoViewChange() {
            doViewChanges[self] = myDoViewChange(0);
            maybeStartView();
        }
        @Override public void stopServing() { failLocalPending(); }
        @Override public void send(int to, Message message) { Replica.this.send(to, message); }
        @Override public void broadcast(Message message) { Replica.this.broadcast(message); }
        @Override public void ignore(String reason) { Replica.this.ignore(reason); }
        @Override public void drop(String reason) { Replica.this.drop(reason); }
    }

    @Override
    public String toString() {
        return "Replica[" + self + " " + status + " view=" + view + " lnv=" + lastNormalView + " op=" + log.lastOp()
                + " commit=" + commit + (isPrimary() && status == Status.NORMAL ? " primary" + (election.abdicated() ? "(abdicated)" : "") : "")
                + " qc=" + quorumConnected() + "]";
    }
}
