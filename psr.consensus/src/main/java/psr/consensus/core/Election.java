package psr.consensus.core;

import psr.consensus.core.Message.DoViewChange;
import psr.consensus.core.Message.PreVote;
import psr.consensus.core.Message.PreVoteReply;
import psr.consensus.core.Message.StartViewChange;

/**
 * The election of one replica: when it starts a view change and for which view, whose view change it joins, and
 * when a primary stops serving. The view change proper (collecting DoViewChange, choosing the log, StartView) is
 * the replica's: an election only decides that a view change begins here or is joined.
 *
 * <p>{@link QuorumConnectedElection} (VSR-QC, DESIGN section 3) is the only election of the product. Plain VR
 * round-robin lives in test code, to show in scenarios and benchmarks what the quorum-connected rules add.
 *
 * <p><b>Threads.</b> Called only by its replica, from inside {@link Replica#step}, {@link Replica#tick} and the
 * other inputs, so never concurrently and never blocking; it acts only through its {@link ElectionHost}, and owns
 * no durable state (a restarted replica starts a fresh election).
 */
public abstract class Election {

    /** Makes the election of one replica; the host is that replica. */
    @FunctionalInterface
    public interface Factory {
        Election create(ElectionHost host);
    }

    protected final ElectionHost host;

    protected Election(ElectionHost host) {
        this.host = host;
    }

    /** This replica gave up on its primary (election timeout) or on a view change: try to move to a view that can start. */
    abstract void campaign();

    /** A ping or pong from {@code from} reported its view and status. */
    abstract void observedPeer(int from, long peerView, Status peerStatus);

    /**
     * NORMAL primary, every tick, before it serves: whether it still serves (false after abdication). May stop the
     * replica from serving through {@link ElectionHost#stopServing()}.
     */
    abstract boolean primaryMayServe();

    /** NORMAL serving primary, every tick, after its own duties: may start a campaign (the replica's status may change). */
    abstract void primaryTimeouts();

    /** NORMAL backup, every tick (the replica itself campaigns at its election deadline). */
    abstract void backupTimeouts();

    /** VIEW_CHANGE, every tick (the replica itself repeats StartViewChange as candidate and campaigns at the deadline). */
    abstract void viewChangeTimeouts();

    /** Any status, every tick. */
    abstract void anyStatusTimeouts();

    abstract void onPreVote(int from, PreVote m);

    abstract void onPreVoteReply(int from, PreVoteReply m);

    abstract void onStartViewChange(int from, StartViewChange m);

    /**
     * A well-formed DoViewChange for a view above ours that we would lead: true if this replica joins that view
     * change (it has then entered it); false if it is ignored (a reason is recorded).
     */
    abstract boolean joinsOnDoViewChange(int from, DoViewChange m);

    /**
     * Whether the candidate counts its own log among the DoViewChange messages as soon as it is in the view change
     * (VSR-QC: it campaigned), or only once its election said so through {@link ElectionHost#countOwnDoViewChange()}.
     */
    abstract boolean candidateCountsItselfAtOnce();

    /** Whether a serving primary may hand over to a named successor ({@link Replica#transferLeadership}). */
    abstract boolean supportsHandover();

    /** The primary of our view named {@code successor} for a leadership transfer, until {@code untilTick}. */
    abstract void successorNamed(int successor, long untilTick);

    /** The replica entered a view change (any reason): what belonged to the old view is reset. */
    abstract void enteredViewChange();

    /** The replica is NORMAL in a new view, as primary or backup. */
    abstract void enteredNormal();

    /** True while a primary stopped serving because of this election (abdicated), with the reason in {@link #refusal()}. */
    abstract boolean abdicated();

    /** Why this election keeps the replica from serving, or empty. */
    abstract String refusal();
}
