package psr.consensus.core;

import java.util.Arrays;

import psr.consensus.core.Message.DoViewChange;
import psr.consensus.core.Message.PreVote;
import psr.consensus.core.Message.PreVoteReply;
import psr.consensus.core.Message.StartViewChange;

/**
 * VSR-QC election (DESIGN section 3): only a quorum-connected replica campaigns, first by a pre-vote; a replica
 * joins only a quorum-connected candidate above its view, and not while it still hears a healthy primary (unless
 * the candidate is that primary or the successor it named); a primary that stays non-quorum-connected for an
 * election timeout abdicates. A candidate always campaigns for the next view it leads above every view it has seen.
 */
public final class QuorumConnectedElection extends Election {
    public static final Factory FACTORY = QuorumConnectedElection::new;

    // Pre-vote: the view we ask about (-1: none), who said yes, and when we stop waiting.
    private long preVoteView = -1;
    private final boolean[] preVoteGranted;
    private long preVoteDeadlineTick;

    /** The highest view any peer reported in a ping or pong; a candidate campaigns above it. */
    private long highestPeerViewSeen;
    /** When this primary first saw a peer stuck in a view change above its view (-1: none seen). */
    private long peerStuckAboveSinceTick = -1;

    /** When this primary last became non-QC (-1 while it is QC). */
    private long notQuorumConnectedSinceTick = -1;
    /** A primary that stayed non-QC for an election timeout stops serving until it is QC again. */
    private boolean abdicated;

    /** A replica our primary named as its successor may win our vote although the primary is healthy. */
    private int successor = -1;
    private long successorUntilTick;
    private long successorCampaignTick;

    public QuorumConnectedElection(ElectionHost host) {
        super(host);
        this.preVoteGranted = new boolean[host.config().replicaCount()];
    }

    @Override
    void campaign() {
        // A pending state transfer does not stop us: our log and last normal view are a truthful pair (state transfer
        // never truncates below what we acknowledged), so the view change picks the right log whatever we hold.
        if (host.status() == Status.RECOVERING) return;
        if (!host.quorumConnected()) return; // a minority side never disturbs the majority's view
        long candidateView = nextViewLedBySelf();
        preVoteView = candidateView;
        Arrays.fill(preVoteGranted, false);
        preVoteGranted[host.self()] = true;
        preVoteDeadlineTick = host.now() + host.config().viewChangeTimeoutTicks();
        host.broadcast(new PreVote(candidateView, true));
        countPreVotes();
    }

    private long nextViewLedBySelf() {
        long v = Math.max(host.view(), highestPeerViewSeen) + 1;
        while (host.config().primaryOf(v) != host.self()) v++;
        return v;
    }

    @Override
    void observedPeer(int from, long peerView, Status peerStatus) {
        highestPeerViewSeen = Math.max(highestPeerViewSeen, peerView);
        if (host.status() == Status.NORMAL && leadsOwnView() && peerStatus == Status.VIEW_CHANGE
                && peerView > host.view() && peerStuckAboveSinceTick < 0) {
            peerStuckAboveSinceTick = host.now();
        }
    }

    @Override
    boolean primaryMayServe() {
        if (host.quorumConnected()) {
            notQuorumConnectedSinceTick = -1;
            abdicated = false;
        } else {
            if (notQuorumConnectedSinceTick < 0) notQuorumConnectedSinceTick = host.now();
            if (!abdicated && host.now() - notQuorumConnectedSinceTick >= host.config().electionTimeoutTicks()) {
                abdicated = true;
                host.stopServing(); // its clients retry elsewhere
            }
        }
        return !abdicated;
    }

    @Override
    void primaryTimeouts() {
        if (peerStuckAboveSinceTick >= 0 && host.now() - peerStuckAboveSinceTick >= host.config().viewChangeTimeoutTicks()) {
            // A peer promised a higher view whose change never completed; it will not accept our view's operations
            // again. Move the whole group to a view above it, led by us, so that it rejoins.
            peerStuckAboveSinceTick = -1;
            if (highestPeerViewSeen > host.view()) campaign();
        }
    }

    @Override
    void backupTimeouts() {
        if (successor == host.self() && host.now() <= successorUntilTick && preVoteView < 0
                && host.now() - successorCampaignTick >= host.config().heartbeatTicks()) {
            // Named successor of a leadership transfer whose first campaign did not get going (we were not
            // quorum-connected at that moment, or the pre-vote was lost): try again each heartbeat until it expires.
            successorCampaignTick = host.now();
            campaign();
        }
    }

    @Override
    void viewChangeTimeouts() {
        // The candidate's repeated StartViewChange is the replica's; members wait for it.
    }

    @Override
    void anyStatusTimeouts() {
        if (preVoteView >= 0 && host.now() >= preVoteDeadlineTick) preVoteView = -1; // a pre-vote without a quorum
    }

    @Override
    void onPreVote(int from, PreVote m) {
        if (host.config().primaryOf(m.view()) != from) {
            host.drop("PreVote for view " + m.view() + " from " + from + ", who does not lead it");
            return;
        }
        host.send(from, new PreVoteReply(m.view(), wouldJoin(from, m.view(), m.candidateQuorumConnected())));
    }

    @Override
    void onPreVoteReply(int from, PreVoteReply m) {
        if (m.view() != preVoteView || !m.granted()) return;
        preVoteGranted[from] = true;
        countPreVotes();
    }

    private void countPreVotes() {
        if (!Quorum.reached(preVoteGranted) || preVoteView <= host.view() || host.status() == Status.RECOVERING) return;
        long candidateView = preVoteView;
        preVoteView = -1;
        host.startCandidacy(candidateView);
    }

    @Override
    void onStartViewChange(int from, StartViewChange m) {
        if (host.config().primaryOf(m.view()) != from) {
            host.drop("StartViewChange for view " + m.view() + " from " + from + ", who does not lead it");
            return;
        }
        long candidateBase = Math.min(m.commit(), host.lastOp());
        if (m.view() == host.view() && host.status() == Status.VIEW_CHANGE) {
            host.sendDoViewChange(from, candidateBase); // the candidate repeats itself: our answer may have been lost
            return;
        }
        if (!wouldJoin(from, m.view(), m.senderQuorumConnected())) return;
        host.enterViewChange(m.view(), "joined the view change of candidate replica " + from);
        host.sendDoViewChange(from, candidateBase);
    }

    @Override
    boolean joinsOnDoViewChange(int from, DoViewChange m) {
        // Only a candidate's own campaign starts a view change it leads: this is a stale candidacy of ours.
        host.ignore("DoViewChange for view " + m.view() + " from " + from + ": a view change we did not start");
        return false;
    }

    /** Would this replica join a view change to {@code candidateView} led by a candidate with this QC flag? */
    private boolean wouldJoin(int candidate, long candidateView, boolean candidateQuorumConnected) {
        String refusal = joinRefusal(candidate, candidateView, candidateQuorumConnected);
        if (refusal != null) host.ignore("not joining view " + candidateView + " of candidate " + candidate + ": " + refusal);
        return refusal == null;
    }

    /** Why this replica would not join the candidate's view change, one reason per refused condition; null if it would. */
    String joinRefusal(int candidate, long candidateView, boolean candidateQuorumConnected) {
        if (host.status() == Status.RECOVERING) return "recovering";
        if (candidateView <= host.view()) return "not above our view " + host.view();
        if (!candidateQuorumConnected) return "the candidate is not quorum-connected";
        // Our own healthy primary may move its group to a higher view (see primaryTimeouts).
        boolean ownPrimary = host.status() == Status.NORMAL && candidate == host.config().primaryOf(host.view());
        boolean namedSuccessor = candidate == successor && host.now() <= successorUntilTick;
        if (!ownPrimary && !namedSuccessor && hearingHealthyPrimary()) return "still hearing a healthy primary of view " + host.view();
        return null;
    }

    /** True while this replica is a serving QC primary, or a backup that heard its primary recently. */
    private boolean hearingHealthyPrimary() {
        if (host.status() != Status.NORMAL) return false;
        if (leadsOwnView()) return !abdicated && host.quorumConnected();
        return host.now() - host.lastHeardPrimaryTick() <= host.config().electionTimeoutTicks();
    }

    private boolean leadsOwnView() {
        return host.config().primaryOf(host.view()) == host.self();
    }

    @Override
    boolean candidateCountsItselfAtOnce() {
        return true;
    }

    @Override
    boolean supportsHandover() {
        return true;
    }

    @Override
    void successorNamed(int successor, long untilTick) {
        this.successor = successor;
        this.successorUntilTick = untilTick;
        this.successorCampaignTick = host.now();
        if (successor == host.self()) campaign(); // our log is the primary's: it waited for our acknowledgement
    }

    @Override
    void enteredViewChange() {
        abdicated = false;
        notQuorumConnectedSinceTick = -1;
    }

    @Override
    void enteredNormal() {
        preVoteView = -1;
        abdicated = false;
        notQuorumConnectedSinceTick = -1;
        peerStuckAboveSinceTick = -1;
    }

    @Override
    boolean abdicated() {
        return abdicated;
    }

    @Override
    String refusal() {
        return abdicated ? "abdicated: primary not quorum-connected" : "";
    }

    /** The view of the pre-vote in progress, or -1 (for tests). */
    long preVoteView() {
        return preVoteView;
    }
}
