package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static psr.consensus.core.SafetyBugsTest.command;

import java.util.List;

import org.junit.jupiter.api.Test;

import psr.consensus.core.Message.GetState;
import psr.consensus.core.Message.NewState;
import psr.consensus.core.Message.PreVote;
import psr.consensus.core.Message.Prepare;
import psr.consensus.core.Message.PrepareOk;
import psr.consensus.core.Message.StartView;
import psr.consensus.core.SafetyBugsTest.Harness;

/**
 * Review: rules of the redesigned core that neither SafetyBugsTest, ReplicaTest, ScenarioTest nor 2,000 randomized
 * seeds notice when broken (mutation testing). Each test crafts the one message the rule is about and passes on the
 * current core; each fails under the mutation named in its comment.
 */
class ReviewMutationKillersTest {

    /** Five replicas with sessions 1 and 2 registered; every replica holds the same log up to {@link #b}. */
    final Harness h = new Harness(5, i -> ReplicaConfig.defaults(5, i).withMessageBudget(4096), 31);
    final long b;

    ReviewMutationKillersTest() {
        h.run(20);
        b = h.registerClients(1, 2);
    }

    static LogEntry entry(long view, long op, long parent, long client, long request) {
        return new LogEntry(view, op, parent, client, request, command(client, request, 16));
    }

    Effects step(int to, int from, Message m) {
        Effects fx = h.replicas[to].step(from, m);
        h.collect(to, fx);
        return fx;
    }

    /** Primary 0 appends request (1, 1) at b+1 and only replica 4 gets the Prepare. */
    LogEntry preparedAtFourOnly() {
        h.dropWhen(p -> p.from() == 0 && p.to() != 4 && p.message() instanceof Prepare);
        h.dropWhen(p -> p.to() == 0 && p.message() instanceof PrepareOk);
        h.submit(0, 1, 1, command(1, 1, 16));
        h.deliverAll();
        h.clearRules();
        assertEquals(b + 1, h.replicas[4].opNumber(), "setup");
        return h.replicas[4].entry(b + 1);
    }

    /** Kills "writeCommitted writes entries above the sender's commit-number" (remove its {@code break}). */
    @Test
    void aChunkOfANewerViewWritesOnlyWhatTheSenderCommitted() {
        long parent = h.replicas[4].entry(b).checksum();
        LogEntry e1 = entry(1, b + 1, parent, 2, 1);
        LogEntry e2 = entry(1, b + 2, e1.checksum(), 2, 2);
        step(4, 1, new NewState(1, b, b + 2, b + 1, b + 3, List.of(e1, e2), null));
        assertEquals(b + 1, h.replicas[4].commitNumber(), "commit-number up to the sender's");
        assertEquals(b + 1, h.replicas[4].opNumber(), "the sender's uncommitted entry is not written");
        assertEquals(0, h.replicas[4].view(), "a chunk does not adopt the view");
    }

    /** Kills "keep our own divergent entry instead of the sender's committed one" in writeCommitted. */
    @Test
    void aChunkReplacesOurDifferentUncommittedEntry() {
        preparedAtFourOnly();
        long parent = h.replicas[4].entry(b).checksum();
        LogEntry y1 = entry(1, b + 1, parent, 2, 1);
        LogEntry y2 = entry(1, b + 2, y1.checksum(), 2, 2);
        step(4, 1, new NewState(1, b, b + 2, b + 2, b + 3, List.of(y1, y2), null));
        assertEquals(b + 2, h.replicas[4].commitNumber());
        assertEquals(y1, h.replicas[4].entry(b + 1), "the committed entry replaced ours");
    }

    /** Kills "adopt a newer view without checking that the sender's entries chain onto our log". */
    @Test
    void aWholeNewStateThatDoesNotChainOntoOurLogIsNotAdopted() {
        LogEntry x1 = entry(1, b + 1, 12345, 2, 1); // names a parent we do not hold
        step(4, 1, new NewState(1, b, b + 1, b + 1, b + 1, List.of(x1), null));
        assertEquals(0, h.replicas[4].view(), "not adopted");
        assertEquals(b, h.replicas[4].opNumber());
    }

    /** Kills "any sender of our view may replace our uncommitted tail" (appendSameView). */
    @Test
    void onlyThePrimaryReplacesOurTailInTheSameView() {
        LogEntry mine = preparedAtFourOnly();
        LogEntry other = entry(0, b + 1, h.replicas[4].entry(b).checksum(), 2, 1);
        step(4, 2, new NewState(0, b, b + 1, b, b + 1, List.of(other), null));
        assertEquals(mine, h.replicas[4].entry(b + 1), "a backup's NewState does not replace our entry");
    }

    /** Kills "append a Prepare without checking that it follows our last entry". */
    @Test
    void aPrepareThatDoesNotFollowOurLogIsNotAppended() {
        LogEntry x1 = entry(0, b + 1, 12345, 1, 1);
        step(4, 0, new Prepare(0, b + 1, b, x1));
        assertEquals(b, h.replicas[4].opNumber(), "not appended");
    }

    /** Kills "count a PrepareOk whatever checksum it names". */
    @Test
    void aPrepareOkNamingAnotherEntryIsNotCounted() {
        h.dropWhen(p -> p.from() == 0 && p.message() instanceof Prepare);
        h.submit(0, 1, 1, command(1, 1, 16));
        h.deliverAll();
        h.clearRules();
        step(0, 1, new PrepareOk(0, b + 1, 777));
        step(0, 2, new PrepareOk(0, b + 1, 778));
        assertEquals(b, h.replicas[0].commitNumber(), "acknowledgements of other entries commit nothing");
    }

    /** Kills "answer a retransmitted Prepare with PrepareOk although our entry there differs". */
    @Test
    void aRetransmittedPrepareOfAnotherEntryIsNotAcknowledged() {
        preparedAtFourOnly();
        LogEntry other = entry(0, b + 1, h.replicas[4].entry(b).checksum(), 2, 1);
        Effects fx = step(4, 0, new Prepare(0, b + 1, b, other));
        for (Effects.Outbound o : fx.messages()) {
            assertTrue(!(o.message() instanceof PrepareOk), "acknowledged a Prepare of an entry it does not hold: " + o);
        }
    }

    /**
     * Kills "a replica with a pending state transfer does not campaign" (SafetyBugsTest's scenario for bug 6 passes
     * under that mutation, since the round-robin retry completes the transfer). Here no NewState ever reaches 2.
     */
    @Test
    void quorumConnectedReplicaCampaignsAlthoughItsTransferNeverCompletes() {
        h.isolate(0);
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 1);
        h.dropWhen(p -> p.from() == 1 && p.to() == 2 && p.message() instanceof StartView);
        h.dropWhen(p -> p.to() == 2 && p.message() instanceof NewState);
        assertTrue(h.runUntil(() -> h.wasDropped(p -> p.to() == 2 && p.message() instanceof NewState), 1000), "setup\n" + h.describe());
        h.crash(1);
        h.clearRules();
        h.dropWhen(p -> p.to() == 2 && p.message() instanceof NewState);
        h.onlyLinks(new int[][] {{2, 0}, {2, 3}, {2, 4}});
        assertTrue(h.runClient(2, 1, command(2, 1, 16), 3000), "2 is quorum-connected and must lead\n" + h.describe());
    }
}
