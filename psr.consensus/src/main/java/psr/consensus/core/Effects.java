package psr.consensus.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What the caller of {@link Replica#step}, {@link Replica#tick} or {@link Replica#submit} must do, in this
 * order:
 * <ol>
 * <li>carry out {@link #persist()} in list order, then, if {@link #syncBeforeSend()}, make it durable;</li>
 * <li>send {@link #messages()} (best effort; loss is tolerated);</li>
 * <li>hand {@link #committed()} to listeners, in list order;</li>
 * <li>complete the clients' {@link #replies()}.</li>
 * </ol>
 * A batch belongs to the caller once returned; the replica never touches it again.
 */
public final class Effects {

    /** A message for one peer. */
    public record Outbound(int to, Message message) {}

    /** An operation applied to the state machine, in op-number order. */
    public record Committed(LogEntry entry, byte[] result, boolean duplicate, long view) {}

    /** How a client's request ended at this replica. */
    public enum Outcome {
        /** Executed (now or before); the result is the state machine's. */
        OK,
        /** This replica is not a serving primary; {@link Reply#primaryHint()} names the primary when known (-1 otherwise). */
        NOT_PRIMARY,
        /** A newer request of the same client was seen; this one will never run. */
        STALE_REQUEST,
        /**
         * The client has no session (it was evicted from the client table, or never registered): this request did not
         * execute now, and whether an earlier copy of it executed before the eviction cannot be told. The client must
         * report the outcome as unknown (unless it knows it sent the request only once) and register a new session;
         * it must never resubmit the request silently under a new id.
         */
        EVICTED,
        /** The primary holds as much uncommitted work as it may; not appended, retry shortly. */
        BUSY
    }

    /**
     * The answer to a request submitted at this replica. {@code op} is where it executed (-1 unless OK; for a
     * registration, the op-number that registered the session, above which the client numbers its requests) and
     * {@code view} the replica's view when it answered.
     */
    public record Reply(long clientId, long requestNumber, Outcome outcome, byte[] result, int primaryHint, long op, long view) {}

    /** One change to durable state. */
    public sealed interface PersistOp {}

    /** Replace the persisted view state. */
    public record SaveViewState(long view, long lastNormalView) implements PersistOp {}

    /**
     * Append entries to the persisted log; their ops follow the log's last op without a gap. {@code commit} is the
     * replica's commit-number, persisted with them so that a restart knows what it may apply at once.
     */
    public record AppendEntries(List<LogEntry> entries, long commit) implements PersistOp {}

    /** Remove every persisted log entry with an op-number above {@code op}. */
    public record TruncateAfter(long op) implements PersistOp {}

    /** Replace the whole persisted log (the entries after the persisted checkpoint); {@code commit} as in AppendEntries. */
    public record ReplaceLog(List<LogEntry> entries, long commit) implements PersistOp {}

    /**
     * Persist {@code checkpoint}, then replace the log with {@code logAfter} (the entries after the checkpoint).
     * Written when a replica takes a checkpoint and drops its log below it, and when it installs one received
     * from a peer.
     */
    public record InstallCheckpoint(Checkpoint checkpoint, List<LogEntry> logAfter, long commit) implements PersistOp {}

    final List<PersistOp> persist = new ArrayList<>();
    final List<Outbound> messages = new ArrayList<>();
    final List<Committed> committed = new ArrayList<>();
    final List<Reply> replies = new ArrayList<>();
    final List<ReplicaEvent> events = new ArrayList<>();
    long restoredCheckpointOp = -1;

    /**
     * The op of a checkpoint received from a peer and restored into the state machine in this batch, or -1.
     * Operations up to it were not applied one by one here, so they are not in {@link #committed()}.
     */
    public long restoredCheckpointOp() {
        return restoredCheckpointOp;
    }

    public List<PersistOp> persist() {
        return Collections.unmodifiableList(persist);
    }

    /** True when {@link #persist()} must be durable before any message of this batch leaves. */
    public boolean syncBeforeSend() {
        return !persist.isEmpty();
    }

    public List<Outbound> messages() {
        return Collections.unmodifiableList(messages);
    }

    public List<Committed> committed() {
        return Collections.unmodifiableList(committed);
    }

    public List<Reply> replies() {
        return Collections.unmodifiableList(replies);
    }

    /** What happened in this batch that an operator would ask about (for the driver's log); nothing to carry out. */
    public List<ReplicaEvent> events() {
        return Collections.unmodifiableList(events);
    }

    public boolean isEmpty() {
        return persist.isEmpty() && messages.isEmpty() && committed.isEmpty() && replies.isEmpty() && events.isEmpty()
                && restoredCheckpointOp < 0;
    }
}
