package psr.consensus.core;

import java.util.Arrays;

import psr.consensus.core.Message.DoViewChange;
import psr.consensus.core.Message.PreVote;
import psr.consensus.core.Message.PreVoteReply;
import psr.consensus.core.Message.StartViewChange;

/**
 * Plain VR Revisited election (section 4.2), test code only: a replica that gives up on its primary moves to the
 * next view, whoever leads it; any replica joins any higher view change it hears of; a replica sends its
 * DoViewChange once f others started the same view change. No pre-vote, no abdication, no leadership transfer.
 * Scenarios and the recovery benchmark use it to show what the quorum-connected rules add (a replica behind a
 * one-way link disrupting the group for ever, for instance).
 */
public final class RoundRobinElection extends Election {
    public static final Factory FACTORY = RoundRobinElection::new;

    /** Which replicas sent StartViewChange for the current view. */
    private final boolean[] startViewChangeFrom;
    private boolean doViewChangeSent;
    private long lastRepeatTick;

    public RoundRobinElection(ElectionHost host) {
        super(host);
        this.startViewChangeFrom = new boolean[host.config().replicaCount()];
    }

    @Override
    void campaign() {
        if (host.status() == Status.RECOVERING) return;
        host.enterViewChange(host.view() + 1, "plain VR: gave up, next view"); // whoever its primary is
        startViewChange();
    }

    private void startViewChange() {
        lastRepeatTick = host.now();
        host.broadcast(new StartViewChange(host.view(), host.quorumConnected(), 0));
        countStartViewChange(host.self());
    }

    private void countStartViewChange(int from) {
        startViewChangeFrom[from] = true;
        if (Quorum.reached(startViewChangeFrom) && !doViewChangeSent) {
            doViewChangeSent = true;
            int newPrimary = host.config().primaryOf(host.view());
            if (newPrimary == host.self()) {
                host.countOwnDoViewChange();
            } else {
                host.sendDoViewChange(newPrimary, 0);
            }
        }
    }

    @Override
    void observedPeer(int from, long peerView, Status peerStatus) {}

    @Override
    boolean primaryMayServe() {
        return true;
    }

    @Override
    void primaryTimeouts() {}

    @Override
    void backupTimeouts() {}

    @Override
    void viewChangeTimeouts() {
        // Members repeat themselves too, so that lost StartViewChange or DoViewChange messages do not stall it.
        if (host.config().primaryOf(host.view()) == host.self() || host.now() - lastRepeatTick < host.config().heartbeatTicks()) return;
        lastRepeatTick = host.now();
        host.broadcast(new StartViewChange(host.view(), host.quorumConnected(), 0));
        if (doViewChangeSent) host.sendDoViewChange(host.config().primaryOf(host.view()), 0);
    }

    @Override
    void anyStatusTimeouts() {}

    @Override
    void onPreVote(int from, PreVote m) {
        host.drop("PreVote from " + from + ": plain VR has no pre-vote");
    }

    @Override
    void onPreVoteReply(int from, PreVoteReply m) {
        host.drop("PreVoteReply from " + from + ": plain VR has no pre-vote");
    }

    @Override
    void onStartViewChange(int from, StartViewChange m) {
        if (host.status() == Status.RECOVERING || m.view() < host.view()) return;
        if (m.view() == host.view() && host.status() == Status.NORMAL) return; // our view already started
        if (m.view() > host.view()) {
            host.enterViewChange(m.view(), "plain VR: StartViewChange from replica " + from);
            startViewChange();
        }
        countStartViewChange(from);
    }

    @Override
    boolean joinsOnDoViewChange(int from, DoViewChange m) {
        host.enterViewChange(m.view(), "plain VR: DoViewChange from replica " + from);
        startViewChange();
        return true;
    }

    @Override
    boolean candidateCountsItselfAtOnce() {
        return false;
    }

    @Override
    boolean supportsHandover() {
        return false;
    }

    @Override
    void successorNamed(int successor, long untilTick) {}

    @Override
    void enteredViewChange() {
        Arrays.fill(startViewChangeFrom, false);
        doViewChangeSent = false;
    }

    @Override
    void enteredNormal() {}

    @Override
    boolean abdicated() {
        return false;
    }

    @Override
    String refusal() {
        return "";
    }
}
