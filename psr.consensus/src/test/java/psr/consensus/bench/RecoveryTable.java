package psr.consensus.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

import psr.consensus.sim.Cluster;
import psr.consensus.sim.Cluster.Options;

/**
 * Prints, for each fault scenario, the ticks from the fault to the next ten committed client operations,
 * with the quorum-connected rules and with plain VR round-robin, averaged over several seeds. A figure,
 * not a test: run with
 * {@code mvn -q -f psr.consensus/pom.xml test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=psr.consensus.bench.RecoveryTable}.
 */
public final class RecoveryTable {
    static final int BOUND_TICKS = 3_000;
    static final int SEEDS = 20;

    public static void main(String[] args) {
        Map<String, Object[]> scenarios = new LinkedHashMap<>();
        scenarios.put("crash of the primary (3)", new Object[] {3, (Consumer<Cluster>) c -> c.crash(c.servingPrimary())});
        scenarios.put("crash of the primary (5)", new Object[] {5, (Consumer<Cluster>) c -> c.crash(c.servingPrimary())});
        scenarios.put("symmetric isolation of the primary", new Object[] {5, (Consumer<Cluster>) c -> c.isolate(c.servingPrimary())});
        scenarios.put("quorum-loss", new Object[] {5, (Consumer<Cluster>) c -> c.onlyLinks(new int[][] {{2, 0}, {2, 1}, {2, 3}, {2, 4}})});
        scenarios.put("constrained election", new Object[] {5, (Consumer<Cluster>) c -> {
            c.isolate(2);
            c.awaitProgress(30, BOUND_TICKS);
            c.heal();
            c.onlyLinks(new int[][] {{2, 0}, {2, 1}, {2, 3}, {2, 4}});
        }});
        scenarios.put("chained (3)", new Object[] {3, (Consumer<Cluster>) c -> c.cut(0, 1)});
        scenarios.put("primary linked to one peer", new Object[] {5, (Consumer<Cluster>) c -> {
            c.crash(4);
            c.onlyLinks(new int[][] {{0, 1}, {1, 2}, {1, 3}, {2, 3}});
        }});
        scenarios.put("one-way: primary send-only", new Object[] {5, (Consumer<Cluster>) c -> {
            for (int r = 1; r < 5; r++) c.cutOneWay(r, 0);
        }});
        scenarios.put("one-way: primary receive-only", new Object[] {5, (Consumer<Cluster>) c -> {
            for (int r = 1; r < 5; r++) c.cutOneWay(0, r);
        }});
        System.out.printf("ticks from the fault to 10 more committed operations (mean over %d seeds; 1 tick = 10 ms with the defaults)%n%n", SEEDS);
        System.out.println("| scenario | VSR-QC | plain VR |");
        System.out.println("|---|---|---|");
        for (Map.Entry<String, Object[]> e : scenarios.entrySet()) {
            int replicas = (Integer) e.getValue()[0];
            @SuppressWarnings("unchecked")
            Consumer<Cluster> fault = (Consumer<Cluster>) e.getValue()[1];
            System.out.printf("| %s | %s | %s |%n", e.getKey(), measure(replicas, fault, true), measure(replicas, fault, false));
        }
    }

    static String measure(int replicas, Consumer<Cluster> fault, boolean qc) {
        long total = 0;
        int stalled = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            Cluster c = new Cluster(seed, Options.defaults(replicas).withQuorumConnectedRules(qc));
            if (c.awaitProgress(10, BOUND_TICKS) < 0) throw new AssertionError("no warm-up progress, seed " + seed);
            fault.accept(c);
            long ticks = c.awaitProgress(10, BOUND_TICKS);
            if (ticks < 0) stalled++; else total += ticks;
        }
        if (stalled == SEEDS) return "stalls (no progress in " + BOUND_TICKS + " ticks)";
        String mean = String.valueOf(total / (SEEDS - stalled));
        return stalled == 0 ? mean : mean + " (" + stalled + " of " + SEEDS + " stalled)";
    }
}
