package psr.consensus.core;

import java.util.List;

/**
 * The messages replicas exchange, named as in VR Revisited (Liskov &amp; Cowling 2012) plus the
 * connectivity and pre-vote messages of the quorum-connected election (DESIGN section 3).
 *
 * <p>Messages are immutable values; lists of log entries are unmodifiable. Sender and receiver ids travel
 * beside the message (in the transport's header), not in it.
 */
public sealed interface Message {

    /** The view this message speaks for; -1 for the view-less recovery request. */
    long view();

    /** Primary to backups: append {@code entry} at {@code op}; everything up to {@code commit} is committed. */
    record Prepare(long view, long op, long commit, LogEntry entry) implements Message {}

    /**
     * Backup to primary: my log holds every operation of this view up to {@code op} (cumulative), and my entry at
     * {@code op} has {@code checksum}; the primary counts the answer only if its own entry there has the same one.
     */
    record PrepareOk(long view, long op, long checksum) implements Message {}

    /** Primary to backups when idle: everything up to {@code commit} is committed. Also the primary's heartbeat. */
    record Commit(long view, long commit) implements Message {}

    /** Connectivity probe, sent to every peer each heartbeat; {@code sendTick} is echoed back. */
    record Ping(long view, Status status, long commit, boolean quorumConnected, long sendTick) implements Message {}

    /** Answer to {@link Ping}, carrying the answerer's own view, status, commit-number and QC flag. */
    record Pong(long view, Status status, long commit, boolean quorumConnected, long echoTick) implements Message {}

    /** Candidate to peers: would you join a view change to {@code view}? Changes no state at the receiver. */
    record PreVote(long view, boolean candidateQuorumConnected) implements Message {}

    /** Answer to {@link PreVote}. */
    record PreVoteReply(long view, boolean granted) implements Message {}

    /**
     * Starts the view change to {@code view}; sent by the candidate (QC rules) or by every replica (plain VR).
     * {@code commit} is the sender's commit-number: answers need to carry only the log above it.
     */
    record StartViewChange(long view, boolean senderQuorumConnected, long commit) implements Message {}

    /**
     * To the new primary: my last normal view, op-number, commit-number, and my log entries after
     * {@code afterOp} (the candidate's commit-number, or 0 to send the whole log). When my log starts above
     * what was asked (I dropped it into a checkpoint), {@code afterOp} is my checkpoint's op and
     * {@code checkpoint} holds it; otherwise {@code checkpoint} is null.
     */
    record DoViewChange(long view, long lastNormalView, long op, long commit, long afterOp, List<LogEntry> log,
            Checkpoint checkpoint) implements Message {}

    /**
     * New primary to all: the view has started with this log. Entries up to {@code afterOp} are committed and
     * every replica that took part holds them; {@code log} holds the entries after it.
     */
    record StartView(long view, long op, long commit, long afterOp, List<LogEntry> log) implements Message {}

    /** Asks a replica in {@code view} for the log entries after {@code op}. */
    record GetState(long view, long op) implements Message {}

    /**
     * Answer to {@link GetState}: the entries after {@code afterOp} up to {@code op}, from a sender whose log ends at
     * {@code logEnd} and whose commit-number is {@code commit}. One message carries at most the message budget, so
     * {@code op < logEnd} means more chunks follow. When the asked-for entries are no longer in the sender's log,
     * {@code checkpoint} (at {@code afterOp}) comes with them; otherwise it is null.
     */
    record NewState(long view, long afterOp, long op, long commit, long logEnd, List<LogEntry> entries, Checkpoint checkpoint)
            implements Message {}

    /**
     * The primary of {@code view} hands over to replica {@code target} (maintenance switch-over): the target
     * campaigns at once, and the other replicas may vote for it although their primary is healthy.
     */
    record Transfer(long view, int target) implements Message {}

    /** A replica that lost its memory asks for the state; the nonce pairs answers with this attempt. */
    record Recovery(long nonce) implements Message {
        @Override
        public long view() {
            return -1;
        }
    }

    /**
     * Answer to {@link Recovery}. Only the primary fills in {@code log} (the entries after its checkpoint, or
     * all), {@code op}, {@code commit} and {@code checkpoint} (null when it has none); a backup sends
     * {@code log == null} and {@code checkpoint == null}.
     */
    record RecoveryResponse(long view, long nonce, long op, long commit, List<LogEntry> log, Checkpoint checkpoint)
            implements Message {}
}
