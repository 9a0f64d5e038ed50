package psr.consensus.scenario;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;

import psr.consensus.core.ReplicaConfig;
import psr.consensus.sim.Cluster;
import psr.consensus.sim.Cluster.Options;
import psr.consensus.sim.Linearizability;

/**
 * Review: randomized runs with a harsher mix than {@link RandomizedSimulationTest}: 3, 5 or 7 replicas, many more
 * crashes and restarts, long delays (heavy reordering), a 4096-byte message budget with big commands (state
 * transfer in many small chunks), checkpoints every 2 or 3 operations, small client tables and more clients.
 *
 * <p>CI runs {@value #CI_SEEDS} seeds (about 20 s); odd seeds draw the fault mix above, even seeds the partition mix
 * (cut the serving primary off, crash and restart), which {@code -Dpsr.adv.partitions=true} puts in every seed.
 * {@code -Dpsr.adv.seeds=N -Dpsr.adv.firstSeed=S} for more, {@code -Dpsr.adv.seed=S} to replay one (with the same
 * mix), {@code -Dpsr.adv.stopAtFirst=false} counts failures instead.
 */
class AdversarialSimulationTest {

    static final int CI_SEEDS = 300;

    @Test
    void adversarialRuns() {
        String one = System.getProperty("psr.adv.seed");
        if (one != null && !one.isBlank()) {
            runSeed(Long.parseLong(one.trim()), true);
            return;
        }
        int seeds = Integer.getInteger("psr.adv.seeds", CI_SEEDS);
        long first = Long.getLong("psr.adv.firstSeed", 1L);
        boolean stopAtFirst = !"false".equals(System.getProperty("psr.adv.stopAtFirst"));
        int failures = 0;
        StringBuilder failed = new StringBuilder();
        for (long seed = first; seed < first + seeds; seed++) {
            try {
                runSeed(seed, false);
            } catch (AssertionError e) {
                if (stopAtFirst) throw e;
                failures++;
                String msg = String.valueOf(e.getCause() != null ? e.getCause().getMessage() : e.getMessage());
                failed.append("\n  seed ").append(seed).append(": ").append(msg.lines().findFirst().orElse(""));
            }
        }
        System.out.println("adversarial simulation: " + seeds + " seeds from " + first + ", " + failures + " failed" + failed);
        assertTrue(failures == 0, failures + " seeds failed" + failed);
    }

    static void runSeed(long seed, boolean verbose) {
        Random r = new Random(seed ^ 0x5eed_ad5eL);
        int replicas = new int[] {3, 5, 5, 7}[r.nextInt(4)];
        boolean durable = r.nextInt(7) != 0;
        int f = (replicas - 1) / 2;
        int checkpointInterval = new int[] {0, 2, 3, 16, 64}[r.nextInt(5)];
        int budget = r.nextInt(4) == 0 ? 512 * 1024 : 4096;
        int padding = new int[] {0, 300, 1500}[r.nextInt(3)];
        int clients = 2 + r.nextInt(7);
        int capacity = new int[] {2, 3, 4096, 4096}[r.nextInt(4)];
        ReplicaConfig base = ReplicaConfig.defaults(replicas, 0).withClientTableCapacity(capacity);
        Cluster c = new Cluster(seed, Options.defaults(replicas).withDurable(durable).withClients(clients)
                .withCheckpointInterval(checkpointInterval).withMessageBudget(budget).withRequestRate(0.5), base);
        c.setCommandPadding(padding);
        int maxDelay = 1 + r.nextInt(20);
        c.network.setFaults(r.nextDouble() * 0.2, r.nextDouble() * 0.1, 1, maxDelay);
        String setup = "adversarial seed " + seed + ": " + replicas + " replicas, " + (durable ? "durable" : "diskless")
                + ", checkpoint " + checkpointInterval + ", budget " + budget + ", padding " + padding + ", clients " + clients
                + ", table " + capacity + ", delay 1.." + maxDelay;
        if (verbose) System.out.println(setup);
        try {
            long end = c.now() + 4000;
            while (c.now() < end) {
                c.run(10 + r.nextInt(90));
                injectFault(c, r, durable, f);
            }
            c.heal();
            for (int i = 0; i < replicas; i++) if (!c.up(i)) c.restart(i);
            long ticks = c.awaitProgress(20, 3000);
            // With fewer sessions than clients the clients may evict each other for ever (by design): no liveness claim.
            if (capacity >= clients) {
                assertTrue(ticks >= 0, setup + ": no progress within 3000 ticks after healing\n" + c.describe());
            }
            c.stopClients();
            c.run(1_500);
            c.checkConverged();
            Linearizability.assertLinearizable(c);
            if (verbose) System.out.println(setup + ": ok, " + c.committedOps() + " ops, " + c.viewChanges() + " view changes");
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(setup + " failed; replay with -Dpsr.adv.seed=" + seed, e);
        }
    }

    /**
     * A mix aimed at deposed primaries catching up in chunks: cut the serving primary (and sometimes one more replica)
     * off, let the rest elect and commit, heal, and crash/restart replicas (often the old primary) meanwhile.
     */
    static void partitionFault(Cluster c, Random r, boolean durable, int f) {
        int n = c.size();
        int a = r.nextInt(n);
        switch (r.nextInt(8)) {
            case 0, 1 -> {
                int p = c.servingPrimary();
                if (p >= 0) {
                    c.isolate(p);
                    if (r.nextBoolean()) {
                        int other = (p + 1 + r.nextInt(n - 1)) % n;
                        c.healLinks();
                        for (int x = 0; x < n; x++) {
                            if (x != p && x != other) { c.cut(p, x); c.cut(other, x); }
                        }
                    }
                }
            }
            case 2, 3 -> c.healLinks();
            case 4, 5 -> {
                if (c.up(a) && (durable && !c.lostMemory(a) || RandomizedSimulationTest.withoutMemory(c) < f)) c.crash(a);
            }
            case 6, 7 -> {
                for (int x = 0; x < n; x++) if (!c.up(x)) c.restart(x);
            }
            default -> throw new AssertionError();
        }
    }

    static void injectFault(Cluster c, Random r, boolean durable, int f) {
        int n = c.size();
        int a = r.nextInt(n);
        int b = (a + 1 + r.nextInt(n - 1)) % n;
        if (Boolean.getBoolean("psr.adv.partitions") || c.seed() % 2 == 0) {
            partitionFault(c, r, durable, f);
            return;
        }
        switch (r.nextInt(14)) {
            case 0, 1, 2, 3 -> {
                if (c.up(a) && (durable && !c.lostMemory(a) || RandomizedSimulationTest.withoutMemory(c) < f)) c.crash(a);
            }
            case 4 -> {
                if (c.up(a) && durable) c.crashDuringNextPersist(a);
            }
            case 5, 6, 7 -> {
                if (!c.up(a)) c.restart(a);
            }
            case 8 -> c.cut(a, b);
            case 9 -> c.cutOneWay(a, b);
            case 10 -> c.isolate(a);
            case 11 -> c.healLinks();
            case 12 -> {
                if (durable && !c.up(a) && !c.downWithCorruptLog(a) && RandomizedSimulationTest.withoutMemory(c) < f) c.corruptLog(a);
            }
            case 13 -> c.transferLeadership(a);
            default -> throw new AssertionError();
        }
    }
}
