package psr.consensus.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import psr.consensus.core.Status;
import psr.consensus.sim.Cluster;
import psr.consensus.sim.Cluster.Options;
import psr.consensus.sim.Linearizability;

/**
 * The fault scenarios of DESIGN section 3 and issue 3, each a short script on the simulator. Replicas are
 * numbered from 0 here; the issue numbers them from 1 (the replica k is replica k-1 here).
 *
 * <p>Every scenario: the simulator checks safety after every step (agreement on committed prefixes, one
 * primary per view, at-most-once execution, each replica's own invariants); the scenario then asserts
 * progress within a stated tick bound, the number of view changes where the scenario promises one, and a
 * linearizable client history. With the default timing (heartbeat 5 ticks, election timeout 50 ticks plus a
 * random back-off of up to 50) a failover needs two election timeouts at most plus a few round trips, so
 * the bounds below are generous but finite.
 */
class ScenarioTest {

    /** Ticks within which a cluster with a quorum-connected replica must commit again after a fault. */
    static final int RECOVERY_BOUND_TICKS = 600;

    static Cluster cluster(int replicas, long seed) {
        return new Cluster(seed, Options.defaults(replicas));
    }

    static long progress(Cluster c, String scenario) {
        long ticks = c.awaitProgress(10, RECOVERY_BOUND_TICKS);
        assertTrue(ticks >= 0, scenario + ": no progress within " + RECOVERY_BOUND_TICKS + " ticks\n" + c.describe());
        System.out.printf("%-45s recovered in %4d ticks, %d view change(s) in all, seed %d%n", scenario, ticks, c.viewChanges(), c.seed());
        return ticks;
    }

    static void settleAndCheck(Cluster c) {
        c.heal();
        for (int r = 0; r < c.size(); r++) if (!c.up(r)) c.restart(r);
        assertTrue(c.awaitProgress(10, RECOVERY_BOUND_TICKS * 2) >= 0, "no progress after healing\n" + c.describe());
        c.stopClients();
        c.run(600);
        c.checkConverged();
        Linearizability.assertLinearizable(c);
    }

    @Test
    void crashOfThePrimaryWithThreeReplicas() {
        Cluster c = cluster(3, 1);
        progress(c, "warm-up");
        int primary = c.servingPrimary();
        c.crash(primary);
        progress(c, "crash of the primary (3)");
        assertEquals(1, c.viewChanges(), "one view change replaces a crashed primary");
        settleAndCheck(c);
    }

    @Test
    void symmetricIsolationOfThePrimary() {
        Cluster c = cluster(5, 2);
        progress(c, "warm-up");
        int old = c.servingPrimary();
        c.isolate(old);
        progress(c, "symmetric isolation of the primary");
        assertTrue(c.servingPrimary() != old, "a new primary serves");
        c.run(200);
        assertTrue(!c.replica(old).isServingPrimary(), "the isolated primary abdicated: " + c.replica(old));
        c.heal();
        c.run(400);
        assertEquals(Status.NORMAL, c.replica(old).status());
        assertTrue(c.replica(old).view() > 0, "the old primary rejoined the new view: " + c.replica(old));
        settleAndCheck(c);
    }

    /** Quorum-loss: replica 2 keeps all its links, every other link is cut; only 2 is quorum-connected. */
    static void quorumLoss(Cluster c) {
        c.onlyLinks(new int[][] {{2, 0}, {2, 1}, {2, 3}, {2, 4}});
    }

    @Test
    void quorumLossElectsTheOnlyQuorumConnectedReplica() {
        Cluster c = cluster(5, 3);
        progress(c, "warm-up");
        quorumLoss(c);
        progress(c, "quorum-loss");
        assertEquals(2, c.servingPrimary(), "the only QC replica leads");
        settleAndCheck(c);
    }

    @Test
    void quorumLossStallsWithoutTheQuorumConnectedRules() {
        Cluster c = new Cluster(3, Options.defaults(5).withQuorumConnectedRules(false));
        progress(c, "warm-up (plain VR)");
        quorumLoss(c);
        long ticks = c.awaitProgress(10, RECOVERY_BOUND_TICKS * 3);
        System.out.printf("%-45s %s%n", "quorum-loss (plain VR)", ticks < 0 ? "no progress in " + RECOVERY_BOUND_TICKS * 3 + " ticks" : "recovered in " + ticks);
        assertEquals(-1, ticks, "plain VR round-robin cannot elect the only connected replica\n" + c.describe());
        settleAndCheck(c); // and it is still safe, and recovers once healed
    }

    /**
     * Constrained election: replica 2 is cut off while the others commit, so its log is stale; then the links
     * change so that 2 is the only QC replica. It must lead, with every committed operation.
     */
    static void staleThenOnlyQuorumConnected(Cluster c) {
        c.isolate(2);
        assertTrue(c.awaitProgress(30, RECOVERY_BOUND_TICKS) >= 0, c.describe());
        c.heal();
        quorumLoss(c);
    }

    @Test
    void constrainedElectionKeepsEveryCommittedOperation() {
        Cluster c = cluster(5, 4);
        progress(c, "warm-up");
        staleThenOnlyQuorumConnected(c);
        long committedBefore = c.committedOps();
        assertTrue(c.replica(2).opNumber() < committedBefore, "replica 2 is stale: " + c.replica(2));
        progress(c, "constrained election");
        assertEquals(2, c.servingPrimary());
        assertTrue(c.replica(2).commitNumber() >= committedBefore, "nothing committed lost");
        settleAndCheck(c);
    }

    @Test
    void constrainedElectionStallsWithoutTheQuorumConnectedRules() {
        Cluster c = new Cluster(4, Options.defaults(5).withQuorumConnectedRules(false));
        progress(c, "warm-up (plain VR)");
        staleThenOnlyQuorumConnected(c);
        long ticks = c.awaitProgress(10, RECOVERY_BOUND_TICKS * 3);
        System.out.printf("%-45s %s%n", "constrained election (plain VR)", ticks < 0 ? "no progress in " + RECOVERY_BOUND_TICKS * 3 + " ticks" : "recovered in " + ticks);
        assertEquals(-1, ticks, "plain VR cannot elect the only connected replica\n" + c.describe());
        settleAndCheck(c);
    }

    /** Chained (3 replicas): the primary's link to one backup is cut. At most one view change, then stable. */
    @Test
    void chainedThreeReplicasAtMostOneViewChange() {
        Cluster c = cluster(3, 5);
        progress(c, "warm-up");
        int primary = c.servingPrimary();
        c.cut(primary, (primary + 1) % 3);
        progress(c, "chained (3)");
        long afterFault = c.viewChanges();
        assertTrue(afterFault <= 1, "at most one view change, was " + afterFault);
        assertTrue(c.awaitProgress(200, 20_000) >= 0, "keeps committing\n" + c.describe());
        assertEquals(afterFault, c.viewChanges(), "stable: no further view change");
        settleAndCheck(c);
    }

    /** 1-2-3 meshed, 4 linked only to 2, 5 only to 3 (here: 0-1-2 meshed, 3 only to 1, 4 only to 2). */
    @Test
    void replicasLinkedToASinglePeerNeverDisruptAStablePrimary() {
        Cluster c = cluster(5, 6);
        progress(c, "warm-up");
        assertEquals(0, c.servingPrimary());
        c.onlyLinks(new int[][] {{0, 1}, {0, 2}, {1, 2}, {3, 1}, {4, 2}});
        assertTrue(c.awaitProgress(300, 30_000) >= 0, c.describe());
        assertEquals(0, c.viewChanges(), "no view change at all");
        assertEquals(0, c.servingPrimary());
        settleAndCheck(c);
    }

    /**
     * Primary 4 linked only to 2, 5 crashed (here relabelled so that the primary is 0: 0 linked only to 1,
     * replica 4 crashed, 1-2-3 meshed). The primary cannot reach a quorum and must be replaced.
     */
    @Test
    void aPrimaryLinkedToOnePeerIsReplaced() {
        Cluster c = cluster(5, 7);
        progress(c, "warm-up");
        assertEquals(0, c.servingPrimary());
        c.crash(4);
        c.onlyLinks(new int[][] {{0, 1}, {1, 2}, {1, 3}, {2, 3}});
        progress(c, "primary linked to one peer");
        assertTrue(c.servingPrimary() != 0, "replaced");
        settleAndCheck(c);
    }

    @Test
    void oneWayLinksPrimarySendOnlyThenReceiveOnly() {
        Cluster c = cluster(5, 8);
        progress(c, "warm-up");
        int first = c.servingPrimary();
        for (int r = 0; r < 5; r++) if (r != first) c.cutOneWay(r, first); // first can send, hears nothing
        progress(c, "one-way: primary send-only");
        int second = c.servingPrimary();
        assertTrue(second != first, "send-only primary replaced");
        c.heal();
        progress(c, "healed");
        for (int r = 0; r < 5; r++) if (r != second) c.cutOneWay(second, r); // second hears all, sends nothing
        progress(c, "one-way: primary receive-only");
        assertTrue(c.servingPrimary() != second, "receive-only primary replaced");
        settleAndCheck(c);
    }

    @Test
    void flappingLinkBetweenPrimaryAndBackup() {
        Cluster c = cluster(5, 9);
        progress(c, "warm-up");
        int primary = c.servingPrimary();
        int backup = (primary + 1) % 5;
        for (int i = 0; i < 40; i++) {
            if (i % 2 == 0) c.cut(primary, backup); else c.restore(primary, backup);
            c.run(37);
        }
        assertTrue(c.viewChanges() <= 1, "a flapping link to one backup does not churn views: " + c.viewChanges());
        progress(c, "flapping link");
        settleAndCheck(c);
    }

    @Test
    void lossyNetwork() {
        Cluster c = cluster(5, 10);
        c.network.setFaults(0.10, 0.05, 1, 6);
        assertTrue(c.awaitProgress(300, 30_000) >= 0, c.describe());
        System.out.printf("%-45s %d ops, %d view changes, %d lost, %d duplicated%n", "lossy network (10% loss, 5% dup, delay 1-6)",
                c.committedOps(), c.viewChanges(), c.network.lost, c.network.duplicated);
        settleAndCheck(c);
    }

    /** Diskless mode: a backup restarts and recovers while the primary is being replaced. */
    @Test
    void recoveryOverlappingAViewChange() {
        Cluster c = new Cluster(11, Options.defaults(5).withDurable(false));
        progress(c, "warm-up (diskless)");
        int primary = c.servingPrimary();
        int backup = (primary + 1) % 5;
        c.crash(backup);
        c.crash(primary);
        c.run(30);
        c.restart(backup); // recovery starts while the others are still electing
        progress(c, "recovery overlapping a view change");
        assertTrue(c.runUntil(() -> c.replica(backup).status() == Status.NORMAL, RECOVERY_BOUND_TICKS) >= 0,
                "the recovering replica rejoined\n" + c.describe());
        settleAndCheck(c);
    }

    @Test
    void allReplicasCrashAtOnceInDurableModeLoseNothingCommitted() {
        Cluster c = cluster(5, 12);
        assertTrue(c.awaitProgress(100, 10_000) >= 0);
        c.crashDuringNextPersist(0);
        c.crashDuringNextPersist(1);
        c.run(5);
        long committed = c.committedOps();
        for (int r = 0; r < 5; r++) c.crash(r);
        for (int r = 0; r < 5; r++) c.restart(r);
        progress(c, "all crash at once (durable)");
        for (int r = 0; r < 5; r++) {
            if (c.replica(r).status() == Status.NORMAL) {
                assertTrue(c.replica(r).opNumber() >= Math.min(committed, c.replica(r).commitNumber()));
            }
        }
        settleAndCheck(c);
        assertTrue(c.committedOps() >= committed, "nothing committed lost");
    }

    @Test
    void disklessModeRefusesToServeWhenMoreThanFLostTheirMemory() {
        Cluster c = new Cluster(13, Options.defaults(5).withDurable(false));
        progress(c, "warm-up (diskless)");
        long committed = c.committedOps();
        for (int r = 0; r < 3; r++) c.crash(r);
        for (int r = 0; r < 3; r++) c.restart(r);
        assertEquals(-1, c.awaitProgress(1, 3_000), "no progress: that would need a quorum with memory");
        for (int r = 0; r < 3; r++) {
            assertEquals(Status.RECOVERING, c.replica(r).status(), "replica " + r + " refuses to serve");
            assertTrue(c.replica(r).refusal().contains("more than 2 replicas lost their memory"), c.replica(r).refusal());
        }
        assertTrue(c.committedOps() == committed);
        System.out.printf("%-45s refused: %s%n", "diskless, 3 of 5 lost memory", c.replica(0).refusal());
    }

    /**
     * A backup misses operations (cut from everyone) while the primary is replaced; when it comes back it
     * meets a gap together with a newer view, and catches up by state transfer before adopting the view.
     */
    @Test
    void aGapInTheLogMetTogetherWithANewerView() {
        Cluster c = cluster(5, 14);
        progress(c, "warm-up");
        int primary = c.servingPrimary();
        int lagging = (primary + 2) % 5;
        c.isolate(lagging);
        assertTrue(c.awaitProgress(20, 5_000) >= 0);
        c.crash(primary);
        progress(c, "new view while a backup is cut off");
        assertTrue(c.awaitProgress(20, 5_000) >= 0);
        long before = c.replica(lagging).view();
        c.heal();
        assertTrue(c.runUntil(() -> c.replica(lagging).view() > before
                && c.replica(lagging).commitNumber() >= c.committedOps() - 5, RECOVERY_BOUND_TICKS) >= 0,
                "lagging replica caught up\n" + c.describe());
        settleAndCheck(c);
    }

    /** Maintenance switch-over: the primary hands over to a chosen replica with one view change, losing nothing. */
    @Test
    void leadershipTransferMovesThePrimaryToTheChosenReplica() {
        Cluster c = cluster(5, 17);
        progress(c, "warm-up");
        int from = c.servingPrimary();
        int to = (from + 3) % 5;
        long committed = c.committedOps();
        assertTrue(c.transferLeadership(to));
        assertTrue(c.runUntil(() -> c.servingPrimary() == to, RECOVERY_BOUND_TICKS) >= 0, "the chosen replica leads\n" + c.describe());
        progress(c, "leadership transfer");
        assertEquals(1, c.viewChanges(), "exactly one view change");
        assertTrue(c.committedOps() > committed);
        settleAndCheck(c);
    }

    /** A replica cut off for longer than a checkpoint interval catches up from a peer's checkpoint. */
    @Test
    void aReplicaFarBehindCatchesUpFromAPeersCheckpoint() {
        Cluster c = new Cluster(16, Options.defaults(3).withCheckpointInterval(32));
        progress(c, "warm-up");
        int lagging = (c.servingPrimary() + 2) % 3;
        c.isolate(lagging);
        assertTrue(c.awaitProgress(200, 20_000) >= 0, c.describe());
        long behind = c.committedOps() - c.replica(lagging).opNumber();
        assertTrue(behind > 100, "far behind: " + behind);
        assertTrue(c.replica(c.servingPrimary()).logStart() > c.replica(lagging).opNumber() + 1,
                "the primary no longer has the operations the lagging replica lacks");
        c.heal();
        assertTrue(c.runUntil(() -> c.replica(lagging).commitNumber() >= c.committedOps() - 5, RECOVERY_BOUND_TICKS) >= 0,
                "caught up\n" + c.describe());
        assertTrue(c.replica(lagging).checkpoint() != null, "through a checkpoint");
        settleAndCheck(c);
    }

    @Test
    void aCorruptLogRecordIsDetectedAndRepairedFromPeers() {
        Cluster c = cluster(5, 15);
        assertTrue(c.awaitProgress(50, 10_000) >= 0);
        int backup = (c.servingPrimary() + 1) % 5;
        c.crash(backup);
        assertTrue(c.corruptLog(backup));
        c.restart(backup);
        assertEquals(Status.RECOVERING, c.replica(backup).status(), "corruption detected: the replica does not trust its disk");
        assertTrue(c.runUntil(() -> c.replica(backup).status() == Status.NORMAL, RECOVERY_BOUND_TICKS) >= 0, c.describe());
        settleAndCheck(c);
    }
}
