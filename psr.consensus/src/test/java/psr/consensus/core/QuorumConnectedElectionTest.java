package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import psr.consensus.core.Message.PreVote;
import psr.consensus.core.Message.PreVoteReply;
import psr.consensus.core.Message.StartViewChange;

/**
 * The VSR-QC election on its own, against a host that only records what the election asks of it: pre-vote, who
 * campaigns, the join rules (one reason per refused condition), abdication and leadership-transfer successors.
 */
class QuorumConnectedElectionTest {

    /** A replica as far as the election sees it; every request is recorded as a line. */
    static final class FakeHost implements ElectionHost {
        final ReplicaConfig config;
        long now = 100;
        long view;
        Status status = Status.NORMAL;
        boolean quorumConnected = true;
        long lastHeardPrimaryTick = 100;
        long commit = 7;
        long lastOp = 9;
        final List<String> calls = new ArrayList<>();
        final List<String> ignored = new ArrayList<>();

        FakeHost(int replicas, int self) {
            this.config = ReplicaConfig.defaults(replicas, self);
        }

        @Override public ReplicaConfig config() { return config; }
        @Override public int self() { return config.self(); }
        @Override public long now() { return now; }
        @Override public long view() { return view; }
        @Override public Status status() { return status; }
        @Override public long commit() { return commit; }
        @Override public long lastOp() { return lastOp; }
        @Override public boolean quorumConnected() { return quorumConnected; }
        @Override public long lastHeardPrimaryTick() { return lastHeardPrimaryTick; }
        @Override public void enterViewChange(long newView, String reason) {
            calls.add("enterViewChange " + newView);
            view = newView;
            status = Status.VIEW_CHANGE;
        }
        @Override public void startCandidacy(long newView) {
            calls.add("startCandidacy " + newView);
            view = newView;
            status = Status.VIEW_CHANGE;
        }
        @Override public void sendDoViewChange(int to, long candidateBase) { calls.add("DoViewChange to " + to + " base " + candidateBase); }
        @Override public void countOwnDoViewChange() { calls.add("countOwnDoViewChange"); }
        @Override public void stopServing() { calls.add("stopServing"); }
        @Override public void send(int to, Message message) { calls.add("send " + to + " " + message); }
        @Override public void broadcast(Message message) { calls.add("broadcast " + message); }
        @Override public void ignore(String reason) { ignored.add(reason); }
        @Override public void drop(String reason) { calls.add("drop " + reason); }
    }

    @Test
    void aCampaignAsksForAPreVoteForTheNextViewItLeadsAboveEveryViewSeen() {
        FakeHost host = new FakeHost(5, 2);
        QuorumConnectedElection election = new QuorumConnectedElection(host);
        election.observedPeer(1, 8, Status.VIEW_CHANGE); // a peer already went to view 8
        election.campaign();
        assertEquals(List.of("broadcast " + new PreVote(12, true)), host.calls, "view 12 is the first above 8 led by replica 2");
        assertEquals(12, election.preVoteView());
    }

    @Test
    void aPreVoteQuorumStartsTheCandidacyOnceAndLateGrantsDoNothing() {
        FakeHost host = new FakeHost(5, 1);
        QuorumConnectedElection election = new QuorumConnectedElection(host);
        election.campaign(); // view 1
        host.calls.clear();
        election.onPreVoteReply(2, new PreVoteReply(1, true));
        election.onPreVoteReply(3, new PreVoteReply(1, false));
        assertEquals(List.of(), host.calls, "two of five (self and 2) is no quorum; a refusal is no vote");
        election.onPreVoteReply(4, new PreVoteReply(1, true));
        assertEquals(List.of("startCandidacy 1"), host.calls);
        election.onPreVoteReply(3, new PreVoteReply(1, true));
        assertEquals(List.of("startCandidacy 1"), host.calls, "a late grant does not start it again");
        assertEquals(-1, election.preVoteView());
    }

    @Test
    void aPreVoteWithoutAQuorumExpiresAfterAViewChangeTimeout() {
        FakeHost host = new FakeHost(3, 1);
        QuorumConnectedElection election = new QuorumConnectedElection(host);
        election.campaign();
        host.now += host.config.viewChangeTimeoutTicks();
        election.anyStatusTimeouts();
        assertEquals(-1, election.preVoteView());
        election.onPreVoteReply(2, new PreVoteReply(1, true));
        assertFalse(host.calls.contains("startCandidacy 1"), "a grant for an expired pre-vote does not count");
    }

    @Test
    void aReplicaThatIsNotQuorumConnectedNeverCampaigns() {
        FakeHost host = new FakeHost(3, 1);
        host.quorumConnected = false;
        QuorumConnectedElection election = new QuorumConnectedElection(host);
        election.campaign();
        assertEquals(List.of(), host.calls);
        assertEquals(-1, election.preVoteView());
    }

    @Test
    void joinRefusalsNameEachRefusedCondition() {
        FakeHost host = new FakeHost(3, 2);
        host.view = 3; // primary 0; we are a backup that heard it at tick 100
        QuorumConnectedElection election = new QuorumConnectedElection(host);
        assertEquals("not above our view 3", election.joinRefusal(0, 3, true));
        assertEquals("the candidate is not quorum-connected", election.joinRefusal(1, 4, false));
        assertEquals("still hearing a healthy primary of view 3", election.joinRefusal(1, 4, true));
        assertNull(election.joinRefusal(0, 6, true), "our own primary may move the group up");
        host.now += host.config.electionTimeoutTicks() + 1;
        assertNull(election.joinRefusal(1, 4, true), "a primary silent for an election timeout is not healthy");
        host.status = Status.RECOVERING;
        assertEquals("recovering", election.joinRefusal(1, 4, true));
    }

    @Test
    void aPreVoteIsAnsweredByTheJoinRulesAndARefusalLeavesItsReason() {
        FakeHost host = new FakeHost(3, 2);
        host.view = 3;
        QuorumConnectedElection election = new QuorumConnectedElection(host);
        election.onPreVote(1, new PreVote(4, true));
        assertEquals(List.of("send 1 " + new PreVoteReply(4, false)), host.calls);
        assertEquals(List.of("not joining view 4 of candidate 1: still hearing a healthy primary of view 3"), host.ignored);
        host.calls.clear();
        election.onPreVote(0, new PreVote(4, true));
        assertEquals(List.of("drop PreVote for view 4 from 0, who does not lead it"), host.calls);
    }

    @Test
    void theNamedSuccessorWinsAVoteWhileThePrimaryIsHealthyAndCampaignsItself() {
        FakeHost backup = new FakeHost(3, 2);
        backup.view = 3;
        QuorumConnectedElection election = new QuorumConnectedElection(backup);
        election.successorNamed(1, backup.now + 100);
        assertNull(election.joinRefusal(1, 4, true), "the successor the primary named");
        backup.now += 101;
        backup.lastHeardPrimaryTick = backup.now; // the primary is still heard
        assertEquals("still hearing a healthy primary of view 3", election.joinRefusal(1, 4, true), "the naming expired");

        FakeHost successor = new FakeHost(3, 1);
        successor.view = 3;
        QuorumConnectedElection own = new QuorumConnectedElection(successor);
        own.successorNamed(1, successor.now + 100);
        assertEquals(List.of("broadcast " + new PreVote(4, true)), successor.calls, "the successor campaigns at once");
        successor.calls.clear();
        successor.now += successor.config.viewChangeTimeoutTicks();
        own.anyStatusTimeouts(); // the pre-vote was lost
        own.backupTimeouts();
        assertEquals(List.of("broadcast " + new PreVote(4, true)), successor.calls, "and again while the naming holds");
    }

    @Test
    void aJoinEntersTheViewChangeAndAnswersTheCandidateWithTheLogAboveItsCommitNumber() {
        FakeHost host = new FakeHost(3, 2);
        host.view = 3;
        host.now += host.config.electionTimeoutTicks() + 1; // primary 0 silent
        QuorumConnectedElection election = new QuorumConnectedElection(host);
        election.onStartViewChange(1, new StartViewChange(4, true, 5));
        assertEquals(List.of("enterViewChange 4", "DoViewChange to 1 base 5"), host.calls);
        host.calls.clear();
        election.onStartViewChange(1, new StartViewChange(4, true, 20));
        assertEquals(List.of("DoViewChange to 1 base 9"), host.calls, "a repeat is answered again, above what we hold at most");
    }

    @Test
    void aPrimaryAbdicatesAfterAnElectionTimeoutWithoutQuorumConnectivityAndServesAgainWhenQc() {
        FakeHost host = new FakeHost(3, 0);
        QuorumConnectedElection election = new QuorumConnectedElection(host);
        host.quorumConnected = false;
        assertTrue(election.primaryMayServe());
        host.now += host.config.electionTimeoutTicks() - 1;
        assertTrue(election.primaryMayServe(), "one tick short of the election timeout");
        host.now += 1;
        assertFalse(election.primaryMayServe());
        assertEquals(List.of("stopServing"), host.calls);
        assertEquals("abdicated: primary not quorum-connected", election.refusal());
        assertTrue(election.abdicated());
        host.quorumConnected = true;
        assertTrue(election.primaryMayServe());
        assertEquals("", election.refusal());
    }

    @Test
    void aPrimaryMovesTheGroupAboveAPeerStuckInAHigherViewChange() {
        FakeHost host = new FakeHost(3, 0);
        QuorumConnectedElection election = new QuorumConnectedElection(host);
        election.observedPeer(2, 5, Status.VIEW_CHANGE);
        host.now += host.config.viewChangeTimeoutTicks() - 1;
        election.primaryTimeouts();
        assertEquals(List.of(), host.calls, "not before a view change timeout");
        host.now += 1;
        election.primaryTimeouts();
        assertEquals(List.of("broadcast " + new PreVote(6, true)), host.calls, "view 6: above 5, led by replica 0");
    }

    @Test
    void onlyOwnCampaignsStartAViewChangeWeLead() {
        FakeHost host = new FakeHost(3, 1);
        QuorumConnectedElection election = new QuorumConnectedElection(host);
        assertFalse(election.joinsOnDoViewChange(2, new Message.DoViewChange(4, 0, 0, 0, 0, List.of())));
        assertEquals(List.of("DoViewChange for view 4 from 2: a view change we did not start"), host.ignored);
        assertEquals(List.of(), host.calls);
    }
}
