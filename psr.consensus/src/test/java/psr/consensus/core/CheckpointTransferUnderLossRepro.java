package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import psr.consensus.core.SafetyBugsTest.Harness;

/**
 * KNOWN FAILURE, kept out of the default run (the class name does not match Surefire's patterns; run it with
 * {@code mvn -q -pl psr.consensus -am test -Dtest=CheckpointTransferUnderLossRepro -Dsurefire.failIfNoSpecifiedTests=false}).
 * The fix belongs in {@code psr.consensus.core} (Replica's state transfer), which another change is reworking.
 *
 * <p>Found by {@code psr.runtime.BigStateIT} at 256 MiB: a replica that needs a peer's checkpoint receives it in
 * chunks, one GetState per chunk. When a chunk is lost, the retry ({@code Replica.retryCatchUp}) asks the next replica
 * in turn. Replicas take their checkpoints at different ops (each checkpoints after the batch of commits in which it
 * passes the interval, and batches differ: in BigStateIT's runs the three replicas held checkpoints at ops 2048, 2050
 * and 2051), so the next replica answers with a chunk at offset 0 of its own checkpoint, and
 * {@code CheckpointAssembly} starts over. A transfer of {@code k} chunks completes only if {@code k} chunks in a row
 * arrive from one replica: with 512 chunks (256 MiB) and a loss rate of a few percent, never. Here the intervals differ
 * per node (as the configuration allows) to make the checkpoints differ deterministically, and every 40th chunk is lost.
 *
 * <p>The control case, the same loss with checkpoints at the same op on every replica, completes: chunks of equal
 * checkpoints are interchangeable, so the assembly continues at its offset whoever answers.
 */
class CheckpointTransferUnderLossRepro {

    static final int BUDGET = 4096;

    private static Harness laggingReplicaBehindCheckpoints(int interval0, int interval1) {
        Harness h = new Harness(3, i -> ReplicaConfig.defaults(3, i).withMessageBudget(BUDGET)
                .withCheckpointInterval(i == 0 ? interval0 : i == 1 ? interval1 : interval0), 31);
        h.run(20);
        h.registerClients(1);
        h.isolate(2);
        BoundedMessagesTest.write(h, 4_000, 200);
        // A view change while replica 2 is away (BigStateIT's fill saw a dozen): it catches up to a newer view, the
        // path whose retry asks the next replica in turn.
        h.collect(0, h.replicas[0].transferLeadership(1));
        assertTrue(h.runUntil(() -> h.replicas[0].status() == Status.NORMAL && h.replicas[1].isServingPrimary(), 1000),
                "setup: replica 1 is the primary of a newer view\n" + h.describe());
        return h;
    }

    private static void loseEveryFortiethChunkTo(Harness h, int replica) {
        AtomicInteger chunks = new AtomicInteger();
        h.dropWhen(p -> p.to() == replica && p.message() instanceof Message.NewState s && s.checkpoint() != null
                && chunks.incrementAndGet() % 40 == 0);
    }

    @Test
    void aCheckpointTransferThatLosesAChunkStartsOverAtAnotherReplicaAndNeverCompletes() {
        Harness h = laggingReplicaBehindCheckpoints(500, 499);
        Checkpoint c0 = h.replicas[0].checkpoint();
        Checkpoint c1 = h.replicas[1].checkpoint();
        assertNotEquals(c0.op(), c1.op(), "setup: the two sources hold checkpoints at different ops");
        assertTrue(c0.state().length / BUDGET > 100, "setup: the checkpoint needs many chunks (" + c0.state().length + " bytes)");
        long committed = h.replicas[0].commitNumber();
        h.healAll();
        loseEveryFortiethChunkTo(h, 2);
        assertTrue(h.runUntil(() -> h.replicas[2].commitNumber() >= committed, 20_000),
                "replica 2 caught up to op " + committed + " through a checkpoint of " + (c0.state().length / BUDGET + 1)
                        + " chunks with 1 chunk in 40 lost\n" + h.describe());
        h.assertSameStateEverywhere();
    }

    @Test
    void controlWithCheckpointsAtTheSameOpTheSameLossCompletes() {
        Harness h = laggingReplicaBehindCheckpoints(500, 500);
        assertEquals(h.replicas[0].checkpoint().op(), h.replicas[1].checkpoint().op(), "setup: equal checkpoints");
        long committed = h.replicas[0].commitNumber();
        h.healAll();
        loseEveryFortiethChunkTo(h, 2);
        assertTrue(h.runUntil(() -> h.replicas[2].commitNumber() >= committed, 20_000),
                "replica 2 caught up to op " + committed + "\n" + h.describe());
        h.assertSameStateEverywhere();
    }
}
