package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static psr.consensus.core.SafetyBugsTest.command;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import psr.consensus.core.Message.Commit;
import psr.consensus.core.Message.GetState;
import psr.consensus.core.Message.NewState;
import psr.consensus.core.Message.Ping;
import psr.consensus.core.Message.Pong;
import psr.consensus.core.Message.PreVote;
import psr.consensus.core.Message.Prepare;
import psr.consensus.core.Message.StartView;
import psr.consensus.core.Message.StartViewChange;
import psr.consensus.core.SafetyBugsTest.Harness;
import psr.consensus.core.SafetyBugsTest.Packet;

/**
 * Adversarial review of the redesigned replica core (branch review). Each test is a message-level scenario
 * built with {@link SafetyBugsTest.Harness}; it asserts the safety or liveness property, so it fails while the
 * problem it names is present.
 */
class ReviewFindingsTest {

    /** Holds every packet matching {@code what} instead of delivering it; the test delivers it later by hand. */
    /**
     * The scenario's dangerous state can no longer arise: replica {@code r}, which the script needs still in view
     * {@code oldView} after hearing of a newer one, left it at once (persisted view change) as the redesigned core
     * does. Checks that, and that the group then stays safe, and ends the scenario.
     */
    static void preventedBecauseReplicaLeftItsView(Harness h, int r, long oldView) {
        assertTrue(h.replicas[r].view() > oldView && h.replicas[r].lastNormalView() <= oldView,
                "replica " + r + " left view " + oldView + " on hearing of a newer view\n" + h.describe());
        h.clearRules();
        h.healAll();
        h.run(600);
        h.assertCommittedOpsKept();
        h.assertSameStateEverywhere();
    }

    static void hold(Harness h, List<Packet> into, java.util.function.Predicate<Packet> what) {
        h.dropWhen(p -> {
            if (!what.test(p)) return false;
            into.add(p);
            return true;
        });
    }

    /** Delivers a held packet now, whatever the drop rules say. */
    static void deliver(Harness h, Packet p) {
        h.delivered.add(p);
        h.collect(p.to(), h.replicas[p.to()].step(p.from(), p.message()));
        h.deliverAll();
    }

    /** The primary hands over to {@code target} (maintenance switch-over); everyone ends up in the new view. */
    static void switchOver(Harness h, int from, int target) {
        h.collect(from, h.replicas[from].transferLeadership(target));
        assertTrue(h.runUntil(() -> {
            for (int r = 0; r < h.n; r++) {
                if (h.up[r] && (h.replicas[r].status() != Status.NORMAL || h.replicas[r].primary() != target)) return false;
            }
            return true;
        }, 1000), "setup: everyone follows " + target + "\n" + h.describe());
    }

    // ------------------------------------------------------------------------------------------------
    // Finding 1: a same-view NewState from a backup that stops at a divergent entry still advances the
    // receiver's commit-number over its own (divergent) entries.

    /**
     * Seven replicas, message budget 4096 and 1500-byte commands (state transfer sends two entries per NewState).
     * <ol>
     * <li>Everybody is in view 1 (primary 1). Primary 1 prepares E (client 1 request 1) at op d; the Prepare to
     * replica 5 is delayed in the network, the others are lost; then 1 crashes. E is never committed.</li>
     * <li>Replica 2 starts view 2 with 0, 3 and 4 (5 and 6 do not hear it and stay in view 1, normal). View 2
     * commits Y1, Y2, Y3 (client 2) at ops d, d+1, d+2.</li>
     * <li>Replica 6 hears of view 2 and gets one NewState chunk (Y1, Y2, committed): it writes them into its log
     * and its commit-number becomes d+1, while it stays a backup of view 1 in normal status.</li>
     * <li>Replica 5 (view 1, log ending at d-1) sees in 6's ping that 6 is at commit d+1 and asks it
     * GetState(view 1, d-1). Before the answer arrives, the delayed Prepare of E arrives; 5 appends E at d.</li>
     * <li>6's NewState(view 1, after d-1, [Y1, Y2], commit d+1) arrives. {@code appendSameView} finds that Y1
     * differs from 5's E at d, sees the sender is not the primary, drops the rest and breaks out of the loop, but
     * then still calls {@code advanceBackupCommit(min(m.commit, m.op))}: 5 commits its own E at op d.</li>
     * </ol>
     * Replicas 0, 2, 3, 4 and 6 committed Y1 at op d; 5 committed E there.
     */
    @Test
    void sameViewNewStateThatStopsAtADivergenceMustNotCommitOurEntries() {
        Harness h = new Harness(7, i -> ReplicaConfig.defaults(7, i).withMessageBudget(4096), 21);
        h.run(20);
        long base = h.registerClients(1, 2);
        switchOver(h, 0, 1);
        h.run(20);
        long d = base + 1;
        assertEquals(base, h.replicas[1].commitNumber(), "setup: nothing new since the registrations");

        // 1. E prepared at op d in view 1; the Prepare to 5 is delayed, the others lost; 1 crashes.
        List<Packet> delayedPrepare = new ArrayList<>();
        hold(h, delayedPrepare, p -> p.from() == 1 && p.to() == 5 && p.message() instanceof Prepare m && m.op() == d);
        h.dropWhen(p -> p.from() == 1 && p.message() instanceof Prepare);
        h.submit(1, 1, 1, command(1, 1, 1500));
        h.deliverAll();
        assertEquals(1, delayedPrepare.size(), "setup: the Prepare of E to 5 is in flight");
        h.crash(1);
        h.clearRules();

        // 2. 2 starts view 2 with 0, 3 and 4; 5 and 6 hear nothing of view 2 for now.
        List<Packet> toSix = new ArrayList<>();
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 2);
        h.dropWhen(p -> p.to() == 5 && p.from() != 6);
        hold(h, toSix, p -> p.to() == 6 && p.from() != 5);
        assertTrue(h.runUntil(() -> h.replicas[2].isServingPrimary() && h.replicas[2].view() == 2, 2000),
                "setup: 2 leads view 2\n" + h.describe());
        for (long req = 1; req <= 3; req++) {
            assertTrue(h.request(2, 2, req, command(2, req, 1500), 200), "setup: view 2 commits Y" + req + "\n" + h.describe());
        }
        h.run(20); // Commit heartbeats: 0, 3 and 4 apply Y1 to Y3
        assertEquals(base + 3, h.replicas[0].commitNumber(), "setup: 0 applied Y1..Y3\n" + h.describe());
        assertEquals(Status.NORMAL, h.replicas[6].status());
        assertEquals(1, h.replicas[6].view());
        assertEquals(1, h.replicas[5].view());

        // 3. 6 hears of view 2 (a ping from 0) and gets the first NewState chunk from 0, nothing more.
        h.clearRules();
        h.dropWhen(p -> p.message() instanceof PreVote);
        h.dropWhen(p -> p.message() instanceof StartViewChange);
        h.dropWhen(p -> p.to() == 5 && p.from() != 6);
        h.dropWhen(p -> p.from() == 5 && p.to() != 6);
        boolean[] chunkSeen = {false};
        h.dropWhen(p -> p.to() == 6 && p.from() != 5 && p.from() != 0);
        h.dropWhen(p -> p.to() == 6 && p.from() == 0 && !(p.message() instanceof Ping) && !(p.message() instanceof NewState));
        h.dropWhen(p -> p.to() == 6 && p.from() == 0 && chunkSeen[0]);
        h.dropWhen(p -> {
            if (p.to() == 6 && p.from() == 0 && p.message() instanceof NewState) chunkSeen[0] = true;
            return false;
        });
        h.dropWhen(p -> p.from() == 6 && p.to() != 5 && !(p.message() instanceof GetState));
        List<Packet> sixToFive = new ArrayList<>();
        hold(h, sixToFive, p -> p.from() == 6 && p.to() == 5 && p.message() instanceof NewState);
        assertTrue(h.runUntil(() -> h.replicas[6].commitNumber() >= d, 200), "setup: 6 wrote view 2's committed Y1\n" + h.describe());
        if (h.replicas[6].view() != 1) {
            preventedBecauseReplicaLeftItsView(h, 6, 1);
            return;
        }
        assertEquals(Status.NORMAL, h.replicas[6].status(), "setup: 6 is still normal");
        assertTrue(h.replicas[6].entry(d).clientId() == 2, "setup: 6 holds Y1 at op d");

        // 4. 5 asks 6 for the state (6's ping shows its commit-number); the answer is held; the delayed E arrives.
        assertTrue(h.runUntil(() -> !sixToFive.isEmpty(), 200), "setup: 6 answered 5's GetState\n" + h.describe());
        NewState answer = (NewState) sixToFive.get(0).message();
        assertEquals(base, answer.afterOp(), "setup: 5 asked from op " + base);
        deliver(h, delayedPrepare.get(0));
        assertEquals(d, h.replicas[5].opNumber(), "setup: 5 appended E at op d\n" + h.describe());
        assertEquals(1, h.replicas[5].entry(d).clientId(), "setup: 5 holds E at op d");

        // 5. The NewState arrives.
        deliver(h, sixToFive.get(0));

        h.assertCommittedOpsKept();
        assertTrue(h.replicas[5].commitNumber() < d || h.replicas[5].entry(d).clientId() == 2,
                "replica 5 committed E at op " + d + " although view 2 committed Y1 there\n" + h.describe());
    }

    // ------------------------------------------------------------------------------------------------
    // Finding 2: a StartView of a view older than the one whose committed entries a replica already wrote
    // makes it throw InvariantViolation (the replica stops).

    /**
     * Five replicas, message budget 4096 and 1500-byte commands.
     * <ol>
     * <li>Primary 0 hands over to 1: view 1 starts, but its StartView to replica 4 is delayed in the network and
     * 4 hears nothing else (it stays in the view change to view 1, log ending at op b).</li>
     * <li>1 hands over to 2: view 2 starts (without 4) and commits Y1, Y2, Y3 at ops b+1 to b+3.</li>
     * <li>4 hears of view 2 and gets one NewState chunk (Y1, Y2, committed): its commit-number becomes b+2; it is
     * still in the view change to view 1.</li>
     * <li>The delayed StartView of view 1 (log ending at op b, afterOp b) arrives. {@code onStartView} checks only
     * {@code m.view() < view}, not the newer view 4 is catching up to; {@code adoptView} calls
     * {@code replaceLogAfter(b, [])}, which throws "new log ends at op b and would drop committed op b+2".</li>
     * </ol>
     * A delayed message must be ignored (or used), never stop the replica.
     */
    @Test
    void delayedStartViewOfAnOlderViewAfterNewerCommittedEntriesMustNotStopTheReplica() {
        Harness h = new Harness(5, i -> ReplicaConfig.defaults(5, i).withMessageBudget(4096), 22);
        h.run(20);
        long b = h.registerClients(1, 2);

        // 1. View 1 starts; its StartView to 4 is held, and 4 hears nothing else.
        List<Packet> startView = new ArrayList<>();
        hold(h, startView, p -> p.to() == 4 && p.message() instanceof StartView m && m.view() == 1);
        h.collect(0, h.replicas[0].transferLeadership(1));
        assertTrue(h.runUntil(() -> !startView.isEmpty(), 500), "setup: view 1 started\n" + h.describe());
        h.isolate(4);
        assertEquals(Status.VIEW_CHANGE, h.replicas[4].status(), "setup: 4 waits in the view change to view 1");

        // 2. 1 hands over to 2; view 2 commits Y1..Y3.
        assertTrue(h.runUntil(() -> h.replicas[1].isServingPrimary(), 200), "setup: 1 serves view 1\n" + h.describe());
        h.run(20);
        h.collect(1, h.replicas[1].transferLeadership(2));
        assertTrue(h.runUntil(() -> h.replicas[2].isServingPrimary(), 500), "setup: 2 serves view 2\n" + h.describe());
        for (long req = 1; req <= 3; req++) {
            assertTrue(h.request(2, 2, req, command(2, req, 1500), 200), "setup: view 2 commits Y" + req + "\n" + h.describe());
        }
        h.run(20);

        // 3. 4 hears of view 2 and gets one NewState chunk from 2.
        h.healAll();
        boolean[] chunk = {false};
        h.dropWhen(p -> p.to() == 4 && (p.from() != 2 || chunk[0]));
        h.dropWhen(p -> p.from() == 4 && p.message() instanceof Message.PreVote);
        h.dropWhen(p -> {
            if (p.to() == 4 && p.message() instanceof NewState) chunk[0] = true;
            return false;
        });
        assertTrue(h.runUntil(() -> h.replicas[4].commitNumber() >= b + 2, 200), "setup: 4 wrote Y1 and Y2\n" + h.describe());
        assertEquals(Status.VIEW_CHANGE, h.replicas[4].status(), "setup: 4 has not adopted view 2");

        // 4. The delayed StartView of view 1 arrives.
        deliver(h, startView.get(0));
        h.run(50);
        h.assertCommittedOpsKept();
    }

    // ------------------------------------------------------------------------------------------------
    // Finding 3: a deposed primary that wrote a newer view's committed entries and restarts serves again in its
    // old view; a backup of that view commits its own (different) entries on the primary's Prepare.

    /**
     * Five replicas, message budget 4096 and 1500-byte commands.
     * <ol>
     * <li>Everybody is in view 1 (primary 1). 1 prepares E at op d; only 4 gets it. 1 and 4 are then cut off from
     * 0, 2 and 3.</li>
     * <li>2 starts view 2 with 0 and 3 and commits Y1, Y2, Y3 at ops d to d+2.</li>
     * <li>1 hears of view 2 (it is deposed) and gets one NewState chunk: it replaces its E by the committed Y1,
     * appends Y2 and persists commit-number d+1. It stays in view 1 (a chunk does not adopt the view).</li>
     * <li>1 restarts from its disk: view 1, last normal view 1, so normal and primary again; {@code deposed} was
     * not persisted, so it serves. A client request N goes to op d+2: Prepare(view 1, d+2, commit d+1).</li>
     * <li>Backup 4 (log ending with E at d) sees a gap and asks for the state, but {@code onPrepare} still calls
     * {@code advanceBackupCommit(min(m.commit, m.op))}: 4 commits E at op d, where view 2 committed Y1.</li>
     * </ol>
     */
    @Test
    void restartedDeposedPrimaryMakesBackupCommitItsOwnEntries() {
        Harness h = new Harness(5, i -> ReplicaConfig.defaults(5, i).withMessageBudget(4096), 23);
        h.run(20);
        long base = h.registerClients(1, 2);
        switchOver(h, 0, 1);
        h.run(20);
        long d = base + 1;

        // 1. E at op d, prepared at 4 only; then {1, 4} and {0, 2, 3} cannot talk.
        h.dropWhen(p -> p.from() == 1 && p.to() != 4 && p.message() instanceof Prepare);
        h.submit(1, 1, 1, command(1, 1, 1500));
        h.deliverAll();
        assertEquals(d, h.replicas[4].opNumber(), "setup: 4 holds E");
        java.util.function.IntPredicate left = r -> r == 1 || r == 4;
        h.clearRules();
        h.dropWhen(p -> left.test(p.from()) != left.test(p.to()));

        // 2. View 2 among 0, 2 and 3 commits Y1..Y3.
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 2);
        assertTrue(h.runUntil(() -> h.replicas[2].isServingPrimary() && h.replicas[2].view() == 2, 2000),
                "setup: 2 leads view 2\n" + h.describe());
        for (long req = 1; req <= 3; req++) {
            assertTrue(h.request(2, 2, req, command(2, req, 1500), 200), "setup: view 2 commits Y" + req + "\n" + h.describe());
        }
        h.run(20);

        // 3. 1 hears of view 2 from 0 and gets one chunk.
        h.clearRules();
        boolean[] chunk = {false};
        h.dropWhen(p -> left.test(p.from()) != left.test(p.to()) && !(p.from() == 0 && p.to() == 1 && !chunk[0])
                && !(p.from() == 1 && p.to() == 0 && p.message() instanceof GetState));
        h.dropWhen(p -> {
            if (p.from() == 0 && p.to() == 1 && p.message() instanceof NewState) chunk[0] = true;
            return false;
        });
        h.dropWhen(p -> p.message() instanceof PreVote);
        assertTrue(h.runUntil(() -> h.replicas[1].commitNumber() >= d + 1, 200), "setup: 1 wrote Y1 and Y2\n" + h.describe());
        if (h.replicas[1].view() != 1) {
            preventedBecauseReplicaLeftItsView(h, 1, 1);
            return;
        }
        assertEquals(2, h.replicas[1].entry(d).clientId(), "setup: 1 holds Y1 at op d");
        assertEquals(1, h.replicas[4].entry(d).clientId(), "setup: 4 holds E at op d");

        // 4. 1 restarts and takes a client request.
        h.crash(1);
        h.restart(1);
        assertTrue(h.replicas[1].isServingPrimary(), "setup: restarted 1 serves view 1 again: " + h.replicas[1]);
        h.submit(1, 1, 2, command(1, 2, 1500));
        h.deliverAll();
        h.run(50);

        h.assertCommittedOpsKept();
    }

    // ------------------------------------------------------------------------------------------------
    // Finding 2b: a candidate that wrote a newer view's committed entries during its own view change throws
    // InvariantViolation when the (delayed) DoViewChange messages complete its quorum.

    /**
     * Five replicas, message budget 4096 and 1500-byte commands.
     * <ol>
     * <li>Replica 1 campaigns for view 1; 3 and 4 join, but their DoViewChange messages are delayed.</li>
     * <li>Replica 2 starts view 2 with 3 and 4 (who are in the view change to view 1) and commits Y1 to Y3.</li>
     * <li>Candidate 1, still in the view change to view 1, hears of view 2 and gets one NewState chunk: it writes Y1
     * and Y2, commit-number b+2.</li>
     * <li>The delayed DoViewChange messages of 3 and 4 (logs ending at b) arrive: {@code maybeStartView} throws
     * "chosen log ends at op b below the highest commit-number b+2".</li>
     * </ol>
     */
    @Test
    void candidateThatWroteNewerCommittedEntriesMustNotStopOnDelayedDoViewChanges() {
        Harness h = new Harness(5, i -> ReplicaConfig.defaults(5, i).withMessageBudget(4096), 24);
        h.run(20);
        long b = h.registerClients(1, 2);

        // 1. 1 campaigns for view 1 (0 stops sending to everyone); the DoViewChange answers are held; 2 hears nothing from 1.
        List<Packet> dvcs = new ArrayList<>();
        hold(h, dvcs, p -> p.message() instanceof Message.DoViewChange m && m.view() == 1);
        h.dropWhen(p -> p.from() == 0 && (p.message() instanceof Prepare || p.message() instanceof Commit));
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 1);
        h.dropWhen(p -> p.to() == 2 && p.from() == 1);
        assertTrue(h.runUntil(() -> dvcs.stream().filter(p -> p.from() == 3).count() > 0
                && dvcs.stream().filter(p -> p.from() == 4).count() > 0, 1000), "setup: 3 and 4 joined view 1\n" + h.describe());
        assertEquals(Status.VIEW_CHANGE, h.replicas[1].status());

        // 2. 2 starts view 2 with 3 and 4; 0 and 1 hear nothing of it; it commits Y1..Y3.
        h.clearRules();
        hold(h, dvcs, p -> p.message() instanceof Message.DoViewChange m && m.view() == 1);
        h.dropWhen(p -> p.from() == 1 || p.to() == 1 || p.from() == 0 || p.to() == 0);
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 2);
        assertTrue(h.runUntil(() -> h.replicas[2].isServingPrimary() && h.replicas[2].view() == 2, 2000),
                "setup: 2 leads view 2\n" + h.describe());
        for (long req = 1; req <= 3; req++) {
            assertTrue(h.request(2, 2, req, command(2, req, 1500), 200), "setup: view 2 commits Y" + req + "\n" + h.describe());
        }
        h.run(20);

        // 3. 1 hears of view 2 (a ping from 2) and gets one chunk.
        h.clearRules();
        hold(h, dvcs, p -> p.message() instanceof Message.DoViewChange m && m.view() == 1);
        h.dropWhen(p -> p.to() == 0 || p.from() == 0);
        boolean[] chunk = {false};
        h.dropWhen(p -> p.to() == 1 && (p.from() != 2 || chunk[0]));
        h.dropWhen(p -> p.from() == 1 && !(p.message() instanceof GetState && p.to() == 2));
        h.dropWhen(p -> {
            if (p.to() == 1 && p.message() instanceof NewState) chunk[0] = true;
            return false;
        });
        assertTrue(h.runUntil(() -> h.replicas[1].commitNumber() >= b + 2, 200), "setup: 1 wrote Y1 and Y2\n" + h.describe());
        if (h.replicas[1].view() != 1) {
            preventedBecauseReplicaLeftItsView(h, 1, 1);
            return;
        }
        assertEquals(Status.VIEW_CHANGE, h.replicas[1].status(), "setup: 1 is still a candidate for view 1");

        // 4. The delayed DoViewChange messages arrive.
        for (Packet p : List.copyOf(dvcs)) if (p.to() == 1) deliver(h, p);
        h.run(20);
        h.assertCommittedOpsKept();
    }

    // ------------------------------------------------------------------------------------------------
    // Finding 4: a delayed duplicate registration re-creates an evicted session under the same client id; then a
    // delayed duplicate of a request that already executed executes again.

    /**
     * Three replicas, room for two sessions. Client 10 registers and its request 1 executes. Clients 11 and 12
     * register and evict 10. Then the network delivers late copies of 10's registration and of its request 1 (a
     * forwarded request retried over UDP, say). The registration finds no session and registers 10 afresh with
     * request number 0, so request 1 is judged new and executes a second time. Requests do not name the session
     * (the op of their registration) they belong to, so a new session cannot tell them from its own.
     */
    @Test
    void lateDuplicateRegistrationAndRequestExecuteTwice() {
        Harness h = new Harness(3, i -> ReplicaConfig.defaults(3, i).withClientTableCapacity(2), 25);
        h.run(20);
        assertTrue(h.request(0, 10, LogEntry.REGISTER, new byte[0], 200), "setup: 10 registered\n" + h.describe());
        assertTrue(h.request(0, 10, 1, command(10, 1, 16), 200), "setup: 10's request 1 executed\n" + h.describe());
        assertTrue(h.request(0, 11, LogEntry.REGISTER, new byte[0], 200));
        assertTrue(h.request(0, 12, LogEntry.REGISTER, new byte[0], 200));
        h.run(10);

        // Late copies of 10's registration and of its request 1 reach the primary.
        h.request(0, 10, LogEntry.REGISTER, new byte[0], 200);
        h.request(0, 10, 1, command(10, 1, 16), 200);
        h.run(20);

        h.assertAtMostOnceExecution();
    }

    // ------------------------------------------------------------------------------------------------
    // Finding 5: a DoViewChange whose commit-number came from a newer view's NewState chunk makes the candidate
    // declare committed the chosen log's (different) entries up to it.

    /**
     * Seven replicas, message budget 4096; E1, E2 are small commands, Y1 to Y3 are 1500 bytes (two per chunk).
     * <ol>
     * <li>1 starts view 1 with 2, 5 and 6; its StartView is lost, so only 1 is normal in view 1 (last normal view 1).
     * It prepares E1, E2 at ops d, d+1; nobody else gets them. 1 is then cut off from everyone but 2.</li>
     * <li>2 campaigns for view 2; 1 and 6 send DoViewChange (5 does not hear it yet). 2 now has 3 of 4.</li>
     * <li>3 starts view 3 with 0, 4 and 6 (6 was waiting for view 2) and commits Y1, Y2, Y3 at ops d to d+2.</li>
     * <li>5 (still in the view change to view 1, last normal view 0) hears of view 3 and gets one chunk: it writes Y1,
     * Y2 and its commit-number becomes d+1. Then it hears 2's StartViewChange (view 2 is above its view 1, and
     * {@code wouldJoin} does not look at the newer view it is catching up to) and sends DoViewChange: last normal view
     * 0, log Y1, Y2, commit-number d+1.</li>
     * <li>2 has 4 DoViewChange messages. It picks 1's log (last normal view 1: E1, E2, ending at d+1, which is not
     * below the highest commit-number d+1), and starts view 2 with commit-number d+1, taken from 5: it applies E1
     * and E2 at ops d and d+1, where view 3 committed Y1 and Y2. Its own commit-number was b, so
     * {@code replaceLogAfter} checked nothing.</li>
     * </ol>
     */
    @Test
    void doViewChangeCommitFromANewerViewMustNotCommitTheChosenLog() {
        Harness h = new Harness(7, i -> ReplicaConfig.defaults(7, i).withMessageBudget(4096), 26);
        h.run(20);
        long b = h.registerClients(1, 2);
        long d = b + 1;

        // 1. View 1 at 1 only (2, 5, 6 wait in the view change); E1, E2 prepared at 1 only.
        h.dropWhen(p -> p.from() == 0 && (p.message() instanceof Prepare || p.message() instanceof Commit));
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 1);
        h.dropWhen(p -> p.from() == 1 && p.message() instanceof StartViewChange && !(p.to() == 2 || p.to() == 5 || p.to() == 6));
        h.dropWhen(p -> p.from() == 1 && (p.message() instanceof StartView || p.message() instanceof Prepare
                || p.message() instanceof Commit || p.message() instanceof NewState));
        h.dropWhen(p -> p.to() == 1 && p.message() instanceof GetState);
        assertTrue(h.runUntil(() -> h.replicas[1].isServingPrimary() && h.replicas[1].view() == 1, 1000), "setup: 1 leads view 1\n" + h.describe());
        h.submit(1, 1, 1, command(1, 1, 16));
        h.submit(1, 1, 2, command(1, 2, 16));
        h.deliverAll();
        assertEquals(d + 1, h.replicas[1].opNumber(), "setup: 1 holds E1, E2");
        for (int r : new int[] {2, 5, 6}) {
            assertEquals(Status.VIEW_CHANGE, h.replicas[r].status(), "setup: " + r + " waits for view 1\n" + h.describe());
        }

        // 2. 2 campaigns for view 2; 1 and 6 join, 5 does not hear it yet; 0, 3, 4 are left out.
        h.clearRules();
        h.dropWhen(p -> p.from() == 0 && (p.message() instanceof Prepare || p.message() instanceof Commit));
        h.dropWhen(p -> (p.from() == 1) != (p.to() == 1) && p.from() != 2 && p.to() != 2); // 1 talks to 2 only
        h.dropWhen(p -> p.to() == 1 && p.message() instanceof GetState);
        h.dropWhen(p -> p.from() == 1 && p.message() instanceof NewState);
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 2);
        h.dropWhen(p -> p.from() == 2 && p.message() instanceof StartViewChange && !(p.to() == 1 || p.to() == 6));
        h.dropWhen(p -> p.from() == 2 && p.message() instanceof GetState);
        assertTrue(h.runUntil(() -> h.replicas[1].view() == 2 && h.replicas[6].view() == 2, 1000), "setup: 1 and 6 joined view 2\n" + h.describe());
        h.deliverAll();
        assertEquals(Status.VIEW_CHANGE, h.replicas[2].status(), "setup: 2 waits for a fourth DoViewChange");

        // 3. 3 starts view 3 with 0, 4 and 6; 0 is not quorum-connected (linked to 3 and 4 only); view 3 commits Y1..Y3.
        h.clearRules();
        h.dropWhen(p -> (p.from() == 1) != (p.to() == 1) && p.from() != 2 && p.to() != 2);
        h.dropWhen(p -> p.to() == 1 && p.message() instanceof GetState);
        h.dropWhen(p -> p.from() == 1 && p.message() instanceof NewState);
        h.dropWhen(p -> (p.from() == 0 || p.to() == 0) && !(p.from() == 3 || p.to() == 3 || p.from() == 4 || p.to() == 4));
        h.dropWhen(p -> p.from() == 0 && (p.message() instanceof Prepare || p.message() instanceof Commit));
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 3);
        h.dropWhen(p -> p.from() == 2 && p.message() instanceof StartViewChange && !(p.to() == 1 || p.to() == 6));
        h.dropWhen(p -> p.from() == 2 && p.message() instanceof GetState);
        h.dropWhen(p -> (p.to() == 2 || p.to() == 5) && (p.message() instanceof StartViewChange && ((StartViewChange) p.message()).view() == 3
                || p.message() instanceof PreVote || p.message() instanceof StartView || p.message() instanceof Prepare
                || p.message() instanceof Commit || p.message() instanceof NewState));
        assertTrue(h.runUntil(() -> h.replicas[3].isServingPrimary() && h.replicas[3].view() == 3, 2000), "setup: 3 leads view 3\n" + h.describe());
        for (long req = 1; req <= 3; req++) {
            assertTrue(h.request(3, 2, req, command(2, req, 1500), 200), "setup: view 3 commits Y" + req + "\n" + h.describe());
        }
        h.run(20);
        assertEquals(Status.VIEW_CHANGE, h.replicas[2].status(), "setup: 2 still waits\n" + h.describe());
        if (h.replicas[5].view() != 1) {
            preventedBecauseReplicaLeftItsView(h, 5, 1);
            return;
        }

        // 4. 5 gets one chunk of view 3 (from 3), then joins view 2.
        h.clearRules();
        h.dropWhen(p -> (p.from() == 1) != (p.to() == 1) && p.from() != 2 && p.to() != 2);
        h.dropWhen(p -> p.to() == 1 && p.message() instanceof GetState);
        h.dropWhen(p -> p.from() == 1 && p.message() instanceof NewState);
        h.dropWhen(p -> (p.from() == 0 || p.to() == 0) && !(p.from() == 3 || p.to() == 3 || p.from() == 4 || p.to() == 4));
        h.dropWhen(p -> p.message() instanceof PreVote);
        h.dropWhen(p -> p.from() == 2 && p.message() instanceof StartViewChange && p.to() != 5 && !(p.to() == 1 || p.to() == 6));
        h.dropWhen(p -> p.from() == 2 && p.message() instanceof GetState);
        h.dropWhen(p -> p.to() == 2 && !(p.message() instanceof Ping || p.message() instanceof Pong || p.message() instanceof Message.DoViewChange));
        boolean[] chunk = {false};
        h.dropWhen(p -> p.to() == 5 && p.message() instanceof NewState && (p.from() != 3 || chunk[0]));
        h.dropWhen(p -> {
            if (p.to() == 5 && p.message() instanceof NewState) chunk[0] = true;
            return false;
        });
        h.dropWhen(p -> p.to() == 5 && p.from() != 2 && p.message() instanceof StartViewChange);
        h.dropWhen(p -> p.from() == 5 && p.message() instanceof GetState && p.to() != 3);
        h.dropWhen(p -> p.from() == 2 && p.to() == 5 && p.message() instanceof StartViewChange && !chunk[0]);
        String stopped = "";
        try {
            h.runUntil(() -> h.replicas[2].status() == Status.NORMAL, 500);
        } catch (InvariantViolation e) {
            stopped = "\n(and then: " + e.getMessage() + ")";
        }
        assertTrue(h.conflicts.isEmpty(), h.conflicts + stopped + "\n" + h.describe());
        assertEquals("", stopped);
    }

    // ------------------------------------------------------------------------------------------------
    // Finding 6: DoViewChange carries every entry above the candidate's commit-number, unchunked; a candidate that
    // lags by more than a transport message never completes a view change.

    /**
     * Five replicas, message budget 4096 (as PartRuntime sets it, a transport message may then carry 8192 bytes;
     * the harness drops anything that does not encode within that, as PartRuntime does), 1500-byte commands.
     * <ol>
     * <li>4 is cut off while primary 0 commits ten operations with 1, 2 and 3.</li>
     * <li>0 crashes; 1 campaigns for view 1 with 2 and 3, but their DoViewChange messages are lost: 1, 2 and 3 wait in
     * the view change (none of them normal, so none answers GetState).</li>
     * <li>Constrained election: only 4's links to 1, 2 and 3 remain. 4 is the only quorum-connected replica and may
     * campaign; its log ends ten operations behind.</li>
     * <li>4 campaigns; 1, 2 and 3 join, each DoViewChange carrying the ten entries above 4's commit-number: about 15
     * KB, which no transport message carries. 4 never gets a quorum of DoViewChange messages; it retries for ever.</li>
     * </ol>
     * DESIGN section 3, constrained election: the only QC replica has a stale log; it must become primary.
     */
    @Test
    void laggingQuorumConnectedCandidateCompletesAViewChange() {
        int maxMessage = 2 * 4096;
        psr.consensus.codec.MessageCodec codec = new psr.consensus.codec.MessageCodec(
                psr.consensus.codec.MessageCodec.DEFAULT_LIMITS.withMaxMessageBytes(maxMessage));
        Harness h = new Harness(5, i -> ReplicaConfig.defaults(5, i).withMessageBudget(4096), 27);
        h.run(20);
        h.registerClients(1, 2, 7);
        java.util.function.Predicate<Packet> oversize = p -> {
            try {
                codec.encode(p.message());
                return false;
            } catch (psr.consensus.codec.CodecException e) {
                return true;
            }
        };

        // 1. 4 cut off; ten operations committed.
        h.isolate(4);
        for (long req = 1; req <= 10; req++) {
            assertTrue(h.request(0, 1, req, command(1, req, 1500), 200), "setup: op " + req + " committed\n" + h.describe());
        }
        h.run(20);

        // 2. 0 crashes; 1 campaigns for view 1; the DoViewChange messages are lost.
        h.crash(0);
        h.dropWhen(p -> p.message() instanceof Message.DoViewChange && ((Message.DoViewChange) p.message()).view() == 1);
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 1);
        assertTrue(h.runUntil(() -> h.replicas[2].view() == 1 && h.replicas[3].view() == 1 && h.replicas[1].view() == 1, 1000),
                "setup: 1, 2 and 3 in the view change to view 1\n" + h.describe());

        // 3. Constrained election around 4.
        h.clearRules();
        h.dropWhen(oversize); // what the transport cannot carry is not sent (PartRuntime logs and drops it)
        h.onlyLinks(new int[][] {{4, 1}, {4, 2}, {4, 3}});

        // 4. Someone must become primary and serve a client.
        boolean served = h.runClient(7, 1, command(7, 1, 16), 3000);
        assertTrue(served, "constrained election: 4 is the only quorum-connected replica, yet nobody served within 3000 ticks; "
                + "oversized messages dropped: " + h.dropped.stream().filter(oversize).map(p -> p.message().getClass().getSimpleName()).distinct().toList()
                + "\n" + h.describe());
    }

    /**
     * Three replicas, message budget 4096 (a transport message of 8192 bytes, as PartRuntime derives them), the
     * default checkpoint interval, 1500-byte commands. Ten operations commit; then replica 2 loses its memory (a
     * diskless restart, or a corrupt disk) and runs the Recovery protocol. The primary's RecoveryResponse carries its
     * whole log after its checkpoint (about 15 KB here), which no transport message carries, so replica 2 refuses to
     * serve for ever, although the cluster is healthy.
     */
    @Test
    void recoveryCompletesWhenThePrimaryLogExceedsOneMessage() {
        int maxMessage = 2 * 4096;
        psr.consensus.codec.MessageCodec codec = new psr.consensus.codec.MessageCodec(
                psr.consensus.codec.MessageCodec.DEFAULT_LIMITS.withMaxMessageBytes(maxMessage));
        Harness h = new Harness(3, i -> ReplicaConfig.defaults(3, i).withMessageBudget(4096), 28);
        h.run(20);
        h.registerClients(1);
        for (long req = 1; req <= 10; req++) {
            assertTrue(h.request(0, 1, req, command(1, req, 1500), 200), "setup: op " + req + " committed\n" + h.describe());
        }
        h.run(20);
        h.dropWhen(p -> {
            try {
                codec.encode(p.message());
                return false;
            } catch (psr.consensus.codec.CodecException e) {
                return true;
            }
        });
        h.crash(2);
        h.machines[2] = new SafetyBugsTest.RecordingMachine();
        h.replicas[2] = Replica.recover(h.configs[2], h.machines[2], new java.util.Random(99));
        h.up[2] = true;
        h.collect(2, h.replicas[2].drainStartupEffects());
        assertTrue(h.runUntil(() -> h.replicas[2].status() == Status.NORMAL, 3000),
                "replica 2 still recovering after 3000 ticks: " + h.replicas[2].refusal() + "\n" + h.describe());
    }
}
