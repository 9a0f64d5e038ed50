package psr.consensus.scenario;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

import psr.consensus.sim.Cluster;
import psr.consensus.sim.Cluster.Options;
import psr.consensus.sim.Linearizability;

/**
 * Randomized simulation: each seed picks a cluster (3 or 5 replicas, durable or diskless), a network
 * (loss, duplication, delay and so reordering) and a storm of faults (crashes, crashes in mid-write,
 * restarts, symmetric and one-way cuts, isolation, corrupt log records). Safety is checked after every step
 * throughout. Then the faults stop, the network heals, every replica restarts, and the cluster must commit
 * again within {@link #LIVENESS_BOUND_TICKS} and converge; the client history must be linearizable.
 *
 * <p>Seeds: {@code -Dpsr.sim.seeds=N} runs N seeds from {@code -Dpsr.sim.firstSeed} (default 1);
 * {@code -Dpsr.sim.seed=S} replays one seed. Every run prints its seed. See the module README.
 */
class RandomizedSimulationTest {

    static final int CI_SEEDS = 10_000;
    static final int FAULT_PHASE_TICKS = 4_000;
    static final int LIVENESS_BOUND_TICKS = 3_000;

    @Test
    void randomizedRuns() {
        String one = System.getProperty("psr.sim.seed");
        if (one != null && !one.isBlank()) {
            runSeed(Long.parseLong(one.trim()), true);
            return;
        }
        int seeds = Integer.getInteger("psr.sim.seeds", CI_SEEDS);
        long first = Long.getLong("psr.sim.firstSeed", 1L);
        long start = System.nanoTime();
        long ops = 0;
        for (long seed = first; seed < first + seeds; seed++) ops += runSeed(seed, false);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("randomized simulation: %d seeds (%d..%d), %d committed ops, %.1f s, %.0f simulated committed ops/s%n",
                seeds, first, first + seeds - 1, ops, seconds, ops / seconds);
    }

    /** Runs one seed; returns the number of operations committed. */
    static long runSeed(long seed, boolean verbose) {
        Random r = new Random(seed);
        int replicas = r.nextBoolean() ? 3 : 5;
        boolean durable = r.nextInt(4) != 0;
        int f = (replicas - 1) / 2;
        int checkpointInterval = new int[] {0, 16, 64, 500}[r.nextInt(4)];
        Cluster c = new Cluster(seed, Options.defaults(replicas).withDurable(durable).withClients(2 + r.nextInt(4))
                .withCheckpointInterval(checkpointInterval).withMessageBudget(r.nextBoolean() ? 4096 : 512 * 1024));
        c.network.setFaults(r.nextDouble() * 0.15, r.nextDouble() * 0.1, 1, 1 + r.nextInt(8));
        String setup = "seed " + seed + ": " + replicas + " replicas, " + (durable ? "durable" : "diskless")
                + (checkpointInterval > 0 ? ", checkpoint every " + checkpointInterval + " ops" : ", no checkpoints");
        if (verbose) System.out.println(setup);
        try {
            long end = c.now() + FAULT_PHASE_TICKS;
            while (c.now() < end) {
                c.run(20 + r.nextInt(180));
                injectFault(c, r, durable, f);
            }
            c.heal();
            for (int i = 0; i < replicas; i++) if (!c.up(i)) c.restart(i);
            long ticks = c.awaitProgress(20, LIVENESS_BOUND_TICKS);
            assertTrue(ticks >= 0, setup + ": no progress within " + LIVENESS_BOUND_TICKS + " ticks after healing\n" + c.describe());
            c.stopClients();
            c.run(1_000);
            c.checkConverged();
            Linearizability.assertLinearizable(c);
            if (verbose) System.out.println(setup + ": ok, " + c.committedOps() + " ops, " + c.viewChanges() + " view changes");
            return c.committedOps();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(setup + " failed; replay with -Dpsr.sim.seed=" + seed + " (add -Dpsr.sim.trace=true for every message)", e);
        }
    }

    /** How many replicas have lost their memory right now (recovering, or down without a disk). */
    static int withoutMemory(Cluster c) {
        int count = 0;
        for (int i = 0; i < c.size(); i++) if (c.lostMemory(i)) count++;
        return count;
    }

    static void injectFault(Cluster c, Random r, boolean durable, int f) {
        int n = c.size();
        int a = r.nextInt(n);
        int b = (a + 1 + r.nextInt(n - 1)) % n;
        switch (r.nextInt(12)) {
            case 0, 1 -> {
                // Diskless replicas lose their memory when they crash: never more than f at once.
                if (c.up(a) && (durable && !c.lostMemory(a) || withoutMemory(c) < f)) c.crash(a);
            }
            case 2 -> {
                if (c.up(a) && durable) c.crashDuringNextPersist(a);
            }
            case 3, 4 -> {
                if (!c.up(a)) c.restart(a);
            }
            case 5 -> c.cut(a, b);
            case 6 -> c.cutOneWay(a, b);
            case 7 -> c.isolate(a);
            case 8, 9 -> c.healLinks();
            case 10 -> {
                // A corrupt record makes the replica recover from its peers: it counts as lost memory.
                if (durable && !c.up(a) && !c.downWithCorruptLog(a) && withoutMemory(c) < f) c.corruptLog(a);
            }
            case 11 -> c.transferLeadership(a);
            default -> throw new AssertionError();
        }
    }
}
