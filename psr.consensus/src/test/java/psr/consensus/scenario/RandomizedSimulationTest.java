package psr.consensus.scenario;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import org.junit.jupiter.api.Test;

import psr.consensus.core.ReplicaConfig;
import psr.consensus.sim.Cluster;
import psr.consensus.sim.Cluster.Options;
import psr.consensus.sim.Linearizability;
import psr.consensus.sim.SimNetwork;
import psr.consensus.sim.SimStorage;

/**
 * Randomized simulation: each seed picks a cluster (3 or 5 replicas, durable or diskless, checkpoints,
 * message budget, transport size limit) and a fault mix, prints both, and runs a storm of faults (crashes,
 * crashes in mid-write, restarts, symmetric and one-way cuts, isolation, leadership transfers, plus the parts
 * of the mix the seed chose). Safety is checked after every step throughout (see {@link Cluster}). Some seeds
 * hold one of the DESIGN section 3 topologies for a while in the middle of the storm and must make progress
 * while it holds. Then the faults stop, the network heals, every replica restarts, and the cluster must commit
 * again within {@link #LIVENESS_BOUND_TICKS} and converge; the client history must be linearizable.
 *
 * <p>The parts of the fault mix ({@link Part}), each chosen per seed: a small transport limit (64 KiB instead
 * of 1 MiB), long delays, clocks at different rates, process pauses, process crashes beside power losses,
 * storage write/fsync errors, full disks, lost writes, misdirected writes, bit flips in any file, partial
 * topologies, configurations that differ between nodes, client-table eviction (a table of 2 to 8 sessions and
 * more clients than that). Two parts are off unless asked for, because they lie outside what the store can do:
 * undetectable storage faults (lying fsync, silently lost replace) and non-atomic replace (outside the
 * DurableStorage contract).
 *
 * <p>Seeds: {@code -Dpsr.sim.seeds=N} runs N seeds from {@code -Dpsr.sim.firstSeed} (default 1);
 * {@code -Dpsr.sim.seed=S} replays one seed; {@code -Dpsr.sim.keepGoing=true} runs all seeds and reports every
 * failing one instead of stopping at the first. The mix: {@code -Dpsr.sim.with=eviction,undetectable,nonAtomic}
 * turns optional parts on, {@code -Dpsr.sim.without=pauses,clocks} turns parts off, {@code -Dpsr.sim.always=shapes}
 * puts a part in every seed where it applies. Every run prints its seed. See the module README.
 */
class RandomizedSimulationTest {

    static final int CI_SEEDS = 10_000;
    static final int FAULT_PHASE_TICKS = 4_000;
    static final int LIVENESS_BOUND_TICKS = 3_000;
    /** Ops that must be answered while a partial topology holds, and within how many ticks. */
    static final int SHAPE_PROGRESS_OPS = 10;
    static final int SHAPE_BOUND_TICKS = 3_000;
    static final int SMALL_MESSAGE_LIMIT = 64 * 1024;

    /** The parts of the fault mix. */
    enum Part {
        SMALL_LIMIT("smallLimit", true, 4),
        LONG_DELAYS("longDelays", true, 2),
        CLOCKS("clocks", true, 2),
        PAUSES("pauses", true, 2),
        CRASH_KINDS("crashKinds", true, 2),
        STORAGE_ERRORS("storageErrors", true, 2),
        FULL_DISK("fullDisk", true, 3),
        LOST_WRITES("lostWrites", true, 3),
        MISDIRECTED("misdirected", true, 3),
        BIT_FLIPS("bitFlips", true, 2),
        SHAPES("shapes", true, 4),
        HETEROGENEOUS("heterogeneous", true, 4),
        EVICTION("eviction", true, 3),
        UNDETECTABLE("undetectable", false, 2),
        NON_ATOMIC("nonAtomic", false, 2);

        final String key;
        final boolean onByDefault;
        /** A seed has this part with probability 1 / oneIn (when the part is on). */
        final int oneIn;

        Part(String key, boolean onByDefault, int oneIn) {
            this.key = key;
            this.onByDefault = onByDefault;
            this.oneIn = oneIn;
        }

        boolean storage() {
            return this == STORAGE_ERRORS || this == FULL_DISK || this == LOST_WRITES || this == MISDIRECTED
                    || this == BIT_FLIPS || this == UNDETECTABLE || this == NON_ATOMIC;
        }
    }

    static final Set<Part> ENABLED = enabledParts();
    static final Set<Part> ALWAYS = parts(System.getProperty("psr.sim.always", ""));
    /** The mix flags of this run, for the replay command. */
    static final String MIX_FLAGS = flag("with") + flag("without") + flag("always");

    static String flag(String name) {
        String v = System.getProperty("psr.sim." + name, "");
        return v.isBlank() ? "" : " -Dpsr.sim." + name + "=" + v.trim();
    }
    /** Fault counts summed over the seeds run ({@code -Dpsr.sim.counts=true} prints them). */
    static final java.util.TreeMap<String, Long> TOTALS = new java.util.TreeMap<>();

    static Set<Part> enabledParts() {
        Set<Part> on = new LinkedHashSet<>();
        for (Part p : Part.values()) if (p.onByDefault) on.add(p);
        on.addAll(parts(System.getProperty("psr.sim.with", "")));
        on.addAll(parts(System.getProperty("psr.sim.always", "")));
        on.removeAll(parts(System.getProperty("psr.sim.without", "")));
        return on;
    }

    static Set<Part> parts(String list) {
        Set<Part> out = new LinkedHashSet<>();
        for (String name : list.split(",")) {
            String n = name.trim();
            if (n.isEmpty()) continue;
            Part found = null;
            for (Part p : Part.values()) if (p.key.equalsIgnoreCase(n) || p.name().equalsIgnoreCase(n)) found = p;
            if (found == null) throw new IllegalArgumentException("unknown fault-mix part '" + n + "'; expected one of " + Arrays.toString(keys()));
            out.add(found);
        }
        return out;
    }

    static String[] keys() {
        return Arrays.stream(Part.values()).map(p -> p.key).toArray(String[]::new);
    }

    @Test
    void randomizedRuns() {
        String one = System.getProperty("psr.sim.seed");
        if (one != null && !one.isBlank()) {
            runSeed(Long.parseLong(one.trim()), true);
            return;
        }
        int seeds = Integer.getInteger("psr.sim.seeds", CI_SEEDS);
        long first = Long.getLong("psr.sim.firstSeed", 1L);
        boolean keepGoing = Boolean.getBoolean("psr.sim.keepGoing");
        long start = System.nanoTime();
        long ops = 0;
        List<String> failures = new ArrayList<>();
        // Long runs: -Dpsr.sim.progressFile=F keeps the seed being run in F, so a run that dies (out of memory,
        // killed) still says where.
        String progressFile = System.getProperty("psr.sim.progressFile");
        for (long seed = first; seed < first + seeds; seed++) {
            if (progressFile != null) {
                try {
                    java.nio.file.Files.writeString(java.nio.file.Path.of(progressFile), seed + "\n");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            if (!keepGoing) {
                ops += runSeed(seed, false);
                continue;
            }
            try {
                ops += runSeed(seed, false);
            } catch (AssertionError e) {
                String line = firstLines(e, 2);
                failures.add(line);
                System.out.println("FAILED " + line);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (Boolean.getBoolean("psr.sim.counts")) {
            StringBuilder b = new StringBuilder("faults over the run:");
            TOTALS.forEach((k, v) -> b.append("\n  ").append(k).append(": ").append(v));
            System.out.println(b);
        }
        System.out.printf("randomized simulation: %d seeds (%d..%d), %d committed ops, %.1f s (%.1f ms per seed), %.0f simulated committed ops/s%s%n",
                seeds, first, first + seeds - 1, ops, seconds, seconds * 1000 / seeds, ops / seconds,
                keepGoing ? ", " + failures.size() + " failed" : "");
        assertTrue(failures.isEmpty(), failures.size() + " of " + seeds + " seeds failed:\n" + String.join("\n", failures));
    }

    /** The setup line and the first line of the innermost cause, for a one-line summary. */
    static String firstLines(Throwable e, int lines) {
        Throwable cause = e;
        while (cause.getCause() != null) cause = cause.getCause();
        String message = String.valueOf(cause.getMessage());
        String[] parts = message.split("\n", lines + 1);
        String head = String.valueOf(e.getMessage()).split("\n")[0];
        return head + " | " + String.join(" / ", Arrays.copyOf(parts, Math.min(lines, parts.length)));
    }

    /** What one seed does: the cluster and the parts of the fault mix it drew. */
    static final class Mix {
        int replicas;
        boolean durable;
        int checkpointInterval;
        int clients;
        int budget;
        int maxMessageBytes;
        double loss, duplication;
        int jitter;
        final Set<Part> parts = new LinkedHashSet<>();
        double longDelayRate;
        double[] clockRates;
        boolean pauseCatchUp;
        int clientTableCapacity;
        ReplicaConfig[] nodeConfigs;
        String shape = "";
        long shapeAt = -1;

        boolean has(Part p) {
            return parts.contains(p);
        }

        String describe() {
            StringBuilder b = new StringBuilder();
            b.append(replicas).append(" replicas, ").append(durable ? "durable" : "diskless")
                    .append(checkpointInterval > 0 ? ", checkpoint every " + checkpointInterval + " ops" : ", no checkpoints")
                    .append(", ").append(clients).append(" clients, budget ").append(budget).append(" B, messages <= ")
                    .append(maxMessageBytes / 1024).append(" KiB")
                    .append(String.format(", loss %.3f, dup %.3f, jitter 1-%d", loss, duplication, jitter));
            b.append("; mix:");
            if (parts.isEmpty()) b.append(" none");
            for (Part p : parts) {
                b.append(' ').append(p.key);
                switch (p) {
                    case LONG_DELAYS -> b.append(String.format("(%.3f)", longDelayRate));
                    case CLOCKS -> {
                        b.append('(');
                        for (int i = 0; i < clockRates.length; i++) b.append(i > 0 ? " " : "").append(String.format("%.2f", clockRates[i]));
                        b.append(')');
                    }
                    case PAUSES -> b.append(pauseCatchUp ? "(catch-up)" : "(skip)");
                    case EVICTION -> b.append("(capacity ").append(clientTableCapacity).append(')');
                    case SHAPES -> b.append('(').append(shape).append(" at +").append(shapeAt).append(')');
                    case HETEROGENEOUS -> {
                        b.append('(');
                        for (int i = 0; i < nodeConfigs.length; i++) {
                            ReplicaConfig c = nodeConfigs[i];
                            b.append(i > 0 ? "; " : "").append("ckpt ").append(c.checkpointIntervalOps()).append(" budget ")
                                    .append(c.messageBudgetBytes()).append(" hb ").append(c.heartbeatTicks()).append(" et ")
                                    .append(c.electionTimeoutTicks());
                        }
                        b.append(')');
                    }
                    default -> { }
                }
            }
            return b.toString();
        }
    }

    /** Draws a seed's setup. Every choice is drawn whether or not its part is on, so switching parts keeps the others. */
    static Mix drawMix(Random r) {
        Mix m = new Mix();
        m.replicas = r.nextBoolean() ? 3 : 5;
        m.durable = r.nextInt(4) != 0;
        m.checkpointInterval = new int[] {0, 16, 64, 500}[r.nextInt(4)];
        m.clients = 2 + r.nextInt(4);
        int budget = r.nextBoolean() ? 4096 : 512 * 1024;
        m.loss = r.nextDouble() * 0.15;
        m.duplication = r.nextDouble() * 0.1;
        m.jitter = 1 + r.nextInt(8);
        boolean[] drawn = new boolean[Part.values().length];
        for (Part p : Part.values()) drawn[p.ordinal()] = r.nextInt(p.oneIn) == 0;
        m.longDelayRate = 0.002 + r.nextDouble() * 0.018;
        m.clockRates = new double[m.replicas];
        for (int i = 0; i < m.replicas; i++) m.clockRates[i] = 0.5 + r.nextDouble();
        m.pauseCatchUp = r.nextBoolean();
        int capacity = 2 + r.nextInt(7);
        int extraClients = 1 + r.nextInt(4);
        String[] shapes = m.replicas == 5 ? new String[] {"quorum-loss", "constrained-election", "chained"} : new String[] {"quorum-loss", "chained"};
        m.shape = shapes[r.nextInt(shapes.length)];
        m.shapeAt = 200 + r.nextInt(FAULT_PHASE_TICKS - 400);
        int[] nodeCheckpoint = new int[m.replicas];
        int[] nodeBudget = new int[m.replicas];
        int[] nodeHeartbeat = new int[m.replicas];
        int[] nodeElection = new int[m.replicas];
        for (int i = 0; i < m.replicas; i++) {
            nodeCheckpoint[i] = new int[] {0, 16, 64, 500}[r.nextInt(4)];
            nodeBudget[i] = new int[] {4096, 16 * 1024, 512 * 1024}[r.nextInt(3)];
            nodeHeartbeat[i] = 3 + r.nextInt(5);
            nodeElection[i] = 40 + r.nextInt(51);
        }

        for (Part p : Part.values()) {
            boolean on = ENABLED.contains(p) && (drawn[p.ordinal()] || ALWAYS.contains(p));
            if (p.storage() && !m.durable) on = false;
            if (on) m.parts.add(p);
        }
        m.maxMessageBytes = m.has(Part.SMALL_LIMIT) ? SMALL_MESSAGE_LIMIT : SimNetwork.DEFAULT_MAX_MESSAGE_BYTES;
        // As PartRuntime does: the budget fits half a transport message.
        int budgetCap = Math.max(4096, (m.maxMessageBytes - SimNetwork.FRAME_BYTES) / 2);
        m.budget = Math.min(budget, budgetCap);
        if (m.has(Part.EVICTION)) {
            m.clientTableCapacity = capacity;
            m.clients = capacity + extraClients;
        }
        if (m.has(Part.HETEROGENEOUS)) {
            m.nodeConfigs = new ReplicaConfig[m.replicas];
            for (int i = 0; i < m.replicas; i++) {
                ReplicaConfig d = ReplicaConfig.defaults(m.replicas, i);
                int hb = nodeHeartbeat[i];
                m.nodeConfigs[i] = new ReplicaConfig(m.replicas, i, hb, 3 * hb, Math.max(nodeElection[i], 3 * hb + 1), d.viewChangeTimeoutTicks(),
                        d.transferRetryTicks(), m.clientTableCapacity > 0 ? m.clientTableCapacity : d.clientTableCapacity(),
                        nodeCheckpoint[i], Math.min(nodeBudget[i], budgetCap));
            }
        }
        return m;
    }

    /**
     * The seed of a run's own draws, mixed (MurmurHash3's finalizer): java.util.Random's first outputs for
     * consecutive seeds are nearly equal (unmixed, seeds 1 to 4095 all drew 3 replicas on the first draw).
     */
    static long scramble(long seed) {
        long z = seed + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 33)) * 0xFF51AFD7ED558CCDL;
        z = (z ^ (z >>> 33)) * 0xC4CEB9FE1A85EC53L;
        return z ^ (z >>> 33);
    }

    /** Runs one seed; returns the number of operations committed. */
    static long runSeed(long seed, boolean verbose) {
        Random r = new Random(scramble(seed));
        Mix m = drawMix(r);
        Options options = Options.defaults(m.replicas).withDurable(m.durable).withClients(m.clients)
                .withCheckpointInterval(m.checkpointInterval).withMessageBudget(m.budget).withMaxMessageBytes(m.maxMessageBytes)
                .withPauseCatchUp(m.pauseCatchUp);
        if (m.has(Part.EVICTION)) options = options.withClientTableCapacity(m.clientTableCapacity);
        if (m.has(Part.HETEROGENEOUS)) {
            ReplicaConfig[] configs = m.nodeConfigs;
            options = options.withNodeConfig((id, c) -> configs[id]);
        }
        Cluster c = new Cluster(seed, options);
        try {
            return run(c, r, m, seed, verbose);
        } finally {
            c.faultCounts().forEach((k, v) -> TOTALS.merge(k, v, Long::sum));
            TOTALS.merge("seeds", 1L, Long::sum);
            for (Part p : m.parts) TOTALS.merge("seeds with " + p.key, 1L, Long::sum);
        }
    }

    static long run(Cluster c, Random r, Mix m, long seed, boolean verbose) {
        int f = (m.replicas - 1) / 2;
        applyNetworkFaults(c, m);
        if (m.has(Part.CLOCKS)) for (int i = 0; i < m.replicas; i++) c.setClockRate(i, m.clockRates[i]);
        c.setMixedCrashKinds(m.has(Part.CRASH_KINDS));
        if (m.has(Part.NON_ATOMIC)) c.setNonAtomicReplace(true);
        String setup = "seed " + seed + ": " + m.describe();
        if (verbose) System.out.println(setup);
        try {
            long start = c.now();
            long end = start + FAULT_PHASE_TICKS;
            boolean shapeDone = !m.has(Part.SHAPES);
            while (c.now() < end) {
                c.run(20 + r.nextInt(180));
                if (!shapeDone && c.now() - start >= m.shapeAt) {
                    shapeDone = true;
                    holdShape(c, r, m, setup);
                }
                injectFault(c, r, m, f);
            }
            c.heal();
            for (int i = 0; i < m.replicas; i++) if (!c.up(i)) c.restart(i);
            long ticks = c.awaitProgress(20, LIVENESS_BOUND_TICKS);
            assertTrue(ticks >= 0, setup + ": no progress within " + LIVENESS_BOUND_TICKS + " ticks after healing\n" + c.describe());
            c.stopClients();
            c.run(1_000);
            c.checkConverged();
            Linearizability.assertLinearizable(c);
            if (verbose) {
                System.out.println(setup + ": ok, " + c.committedOps() + " ops, " + c.viewChanges() + " view changes\n" + c.describe());
            }
            return c.committedOps();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(setup + " failed; replay with -Dpsr.sim.seed=" + seed + MIX_FLAGS
                    + " (add -Dpsr.sim.trace=true for every message)", e);
        }
    }

    static void applyNetworkFaults(Cluster c, Mix m) {
        c.network.setFaults(m.loss, m.duplication, 1, m.jitter);
        c.network.setLongDelays(m.has(Part.LONG_DELAYS) ? m.longDelayRate : 0, 100, 800);
    }

    /**
     * Holds one of the DESIGN section 3 topologies and requires progress while it holds: the faults stop, every
     * replica restarts and the cluster commits again; then the topology is set (the seed's loss, duplication and
     * jitter stay, long delays and pauses do not) and {@link #SHAPE_PROGRESS_OPS} client operations must be
     * answered within {@link #SHAPE_BOUND_TICKS}. Then the storm goes on.
     */
    static void holdShape(Cluster c, Random r, Mix m, String setup) {
        int n = m.replicas;
        c.heal();
        for (int i = 0; i < n; i++) if (!c.up(i)) c.restart(i);
        c.network.setFaults(m.loss, m.duplication, 1, m.jitter);
        assertTrue(c.awaitProgress(10, LIVENESS_BOUND_TICKS) >= 0, setup + ": no progress after healing, before the "
                + m.shape + " topology\n" + c.describe());
        // The topology needs every replica serving: one still recovering (or stuck recovering) cannot be a hub.
        assertTrue(c.runUntil(() -> allNormal(c), LIVENESS_BOUND_TICKS) >= 0, setup + ": replicas not all normal within "
                + LIVENESS_BOUND_TICKS + " ticks after healing, before the " + m.shape + " topology\n" + c.describe());
        int hub = r.nextInt(n);
        switch (m.shape) {
            case "quorum-loss" -> c.onlyLinks(star(hub, n));
            case "constrained-election" -> {
                // The hub is cut off while the others commit, so its log is stale; then it is the only QC replica.
                c.isolate(hub);
                assertTrue(c.awaitProgress(30, LIVENESS_BOUND_TICKS) >= 0, setup + ": no progress with replica " + hub
                        + " isolated, before the constrained election\n" + c.describe());
                c.healLinks();
                c.onlyLinks(star(hub, n));
            }
            case "chained" -> {
                int primary = c.servingPrimary();
                if (primary < 0) primary = hub;
                int backup = (primary + 1 + r.nextInt(n - 1)) % n;
                c.cut(primary, backup);
            }
            default -> throw new AssertionError(m.shape);
        }
        long ticks = c.awaitProgress(SHAPE_PROGRESS_OPS, SHAPE_BOUND_TICKS);
        assertTrue(ticks >= 0, setup + ": no progress within " + SHAPE_BOUND_TICKS + " ticks while the " + m.shape
                + " topology holds (hub " + hub + ")\n" + c.describe());
        c.healLinks();
        applyNetworkFaults(c, m);
    }

    static boolean allNormal(Cluster c) {
        for (int i = 0; i < c.size(); i++) {
            if (!c.up(i) || c.replica(i).status() != psr.consensus.core.Status.NORMAL) return false;
        }
        return true;
    }

    /** Every link of {@code hub}, no other. */
    static int[][] star(int hub, int n) {
        int[][] links = new int[n - 1][];
        int k = 0;
        for (int i = 0; i < n; i++) if (i != hub) links[k++] = new int[] {hub, i};
        return links;
    }

    /** How many replicas have lost their memory right now (recovering, or down without a trustworthy disk). */
    static int withoutMemory(Cluster c) {
        int count = 0;
        for (int i = 0; i < c.size(); i++) if (c.lostMemory(i)) count++;
        return count;
    }

    /** How many replicas have lost their memory or would lose it by crashing (damaged disk, destructive fault armed). */
    static int atRisk(Cluster c) {
        int count = 0;
        for (int i = 0; i < c.size(); i++) if (c.atRisk(i)) count++;
        return count;
    }

    /** May replica {@code a} lose its memory now? Only while fewer than f others have (the protocol's limit). */
    static boolean mayLoseMemory(Cluster c, int a, int f) {
        return c.atRisk(a) || atRisk(c) < f;
    }

    /** One fault of the base storm (as before the fault mix), then, every other time, one of the seed's mix. */
    static void injectFault(Cluster c, Random r, Mix m, int f) {
        int n = c.size();
        int a = r.nextInt(n);
        int b = (a + 1 + r.nextInt(n - 1)) % n;
        boolean durable = m.durable;
        switch (r.nextInt(12)) {
            case 0, 1 -> {
                // A durable replica keeps its disk; a diskless one (or one whose disk is damaged) loses its memory.
                if (c.up(a) && (durable && !c.atRisk(a) || mayLoseMemory(c, a, f))) {
                    if (m.has(Part.CRASH_KINDS)) c.crash(a, SimStorage.CrashKind.values()[r.nextInt(3)]); else c.crash(a);
                }
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
                if (durable && !c.up(a) && !c.downWithCorruptLog(a) && mayLoseMemory(c, a, f)) c.corruptLog(a);
            }
            case 11 -> c.transferLeadership(a);
            default -> throw new AssertionError();
        }
        List<Part> actions = new ArrayList<>();
        for (Part p : MIX_ACTIONS) if (m.has(p)) actions.add(p);
        if (actions.isEmpty() || r.nextBoolean()) return;
        a = r.nextInt(n);
        switch (actions.get(r.nextInt(actions.size()))) {
            case PAUSES -> {
                if (c.up(a)) c.pause(a, 20 + r.nextInt(381));
            }
            case STORAGE_ERRORS -> {
                if (c.up(a)) {
                    if (r.nextBoolean()) c.failNextWrite(a); else c.failNextSync(a);
                }
            }
            case FULL_DISK -> {
                if (r.nextInt(3) == 0) {
                    for (int i = 0; i < n; i++) c.setDiskFull(i, false); // an operator frees space
                } else {
                    c.setDiskFull(a, true);
                }
            }
            case LOST_WRITES -> {
                if (c.up(a) && mayLoseMemory(c, a, f)) c.loseNextWrite(a);
            }
            case MISDIRECTED -> {
                if (c.up(a) && mayLoseMemory(c, a, f)) c.misdirectNextWrite(a);
            }
            case BIT_FLIPS -> {
                // Any file, synced bytes, whether the replica is up (read at its next restart) or down.
                if (mayLoseMemory(c, a, f)) c.corruptAnyFile(a);
            }
            case UNDETECTABLE -> {
                if (c.up(a) && mayLoseMemory(c, a, f)) {
                    // A device whose write cache lies until the power fails: everything since then vanishes at a power loss.
                    if (r.nextBoolean()) c.lieOnNextSyncs(a, Integer.MAX_VALUE); else c.loseNextReplaceSilently(a);
                }
            }
            default -> throw new AssertionError();
        }
    }

    /** The parts of the mix that are injected as events during the storm (the others are settings). */
    static final List<Part> MIX_ACTIONS = List.of(Part.PAUSES, Part.STORAGE_ERRORS, Part.FULL_DISK, Part.LOST_WRITES,
            Part.MISDIRECTED, Part.BIT_FLIPS, Part.UNDETECTABLE);
}
