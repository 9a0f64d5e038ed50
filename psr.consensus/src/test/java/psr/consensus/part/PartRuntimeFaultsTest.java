package psr.consensus.part;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import org.junit.jupiter.api.Test;

import psr.api.state.Operation;
import psr.api.state.OperationResult;
import psr.api.state.OutcomeUnknownException;
import psr.api.state.Role;
import psr.api.state.Value;

/**
 * The runtime layer under faults, many seeds: three real {@link PartRuntime}s in virtual time (the
 * {@link PartRuntimeTest} fixture) take writes at every node (forwarded to the primary) while nodes are cut off,
 * made deaf, stopped and restarted from their disks, and the primary is transferred. Each write is a
 * compare-and-set of its own key from absent, so every answer can be checked afterwards:
 * <ul>
 * <li>committed and applied: the key is on every replica (nothing acknowledged is lost);
 * <li>committed but "not applied": the operation ran twice (nothing may be done twice);
 * <li>failed as certainly not done ({@code StateException} but not {@code OutcomeUnknownException}): the key is on no replica;
 * <li>outcome unknown: either.
 * </ul>
 * A primary task on every node counts its cycles in the state: the count must equal the committed cycle number (no
 * cycle twice, none going back). Every third seed runs without forwarding (writes at a backup fail as not done,
 * a primary deposed after taking a write answers unknown). In every second seed a small client table (16 sessions for 192 client sessions) makes evictions common. Seeds: {@code -Dpsr.part.faultSeeds=N}
 * (default 20) from {@code -Dpsr.part.firstFaultSeed=S} (default 1); every seed is printed, a failure names it.
 */
class PartRuntimeFaultsTest {
    static final int SEEDS = Integer.getInteger("psr.part.faultSeeds", 20);
    static final long FIRST = Long.getLong("psr.part.firstFaultSeed", 1);

    @Test
    void everyAnswerIsTrueAfterCutsStopsRestartsAndTransfers() throws Exception {
        List<String> failed = new ArrayList<>();
        for (long seed = FIRST; seed < FIRST + SEEDS; seed++) {
            String outcome = run(seed);
            System.out.println("PartRuntimeFaultsTest seed " + seed + ": " + outcome);
            if (outcome.startsWith("FAILED")) failed.add("seed " + seed + ": " + outcome);
        }
        assertEquals(List.of(), failed, "rerun one with -Dpsr.part.firstFaultSeed=S -Dpsr.part.faultSeeds=1");
    }

    /** A primary task that counts its own cycles in the state: bumpless, the count equals the committed cycle number. */
    static PrimaryTasks.Binding pumpTask() {
        return new PrimaryTasks.Binding("pump", cycle -> {
            long count = cycle.read("pump/count").map(Value::asInt64).orElse(0L);
            cycle.put("pump/count", Value.ofInt64(count + 1));
        }, 20);
    }

    static String run(long seed) throws Exception {
        PartRuntimeTest c = new PartRuntimeTest();
        c.seed = seed;
        Random random = new Random(seed);
        if (seed % 2 == 0) c.extra.put("client.table.capacity", 16); // half the seeds: evictions are common
        try {
            boolean forward = seed % 3 != 0; // every third seed without forwarding: writes at backups fail as not done
            c.startAll(forward);
            for (int n = 1; n <= 3; n++) c.nodes[n].addTask(pumpTask());
            c.await("a primary", () -> c.primaryNode() > 0);
            Map<Integer, CompletableFuture<OperationResult>> writes = new TreeMap<>();
            int down = -1;
            int faults = 0;
            for (int step = 0; step < 400; step++) { // 400 x 10 ms of virtual time
                for (int w = random.nextInt(4); w > 0; w--) {
                    int at = 1 + random.nextInt(3);
                    if (c.nodes[at] == null) continue;
                    int id = writes.size();
                    writes.put(id, c.nodes[at].submit(Operation.compareAndSet("w" + id, null, Value.ofInt64(id))).toCompletableFuture());
                }
                int fault = random.nextInt(100);
                int n = 1 + random.nextInt(3);
                if (random.nextInt(100) < 6) { // links come back after a while, so that there is something to commit
                    c.network.node(n).cut = false;
                    c.network.node(n).deaf = false;
                }
                if (fault < 3) {
                    c.network.node(n).cut = !c.network.node(n).cut;
                    faults++;
                } else if (fault < 5) {
                    c.network.node(n).deaf = !c.network.node(n).deaf;
                    faults++;
                } else if (fault < 7 && down < 0) {
                    c.nodes[n].stop();
                    c.nodes[n] = null;
                    down = n;
                    faults++;
                } else if (fault < 9 && down > 0) {
                    c.start(down, forward).addTask(pumpTask());
                    down = -1;
                    faults++;
                } else if (fault < 10) {
                    int p = c.primaryNode();
                    if (p > 0 && p != n) {
                        c.nodes[p].transferPrimary(n);
                        faults++;
                    }
                }
                c.clock.runFor(10);
            }
            for (int n = 1; n <= 3; n++) {
                c.network.node(n).cut = false;
                c.network.node(n).deaf = false;
            }
            if (down > 0) c.start(down, forward).addTask(pumpTask());
            c.clock.runUntil("every write answered", 30_000, () -> writes.values().stream().allMatch(CompletableFuture::isDone));
            // Statuses are published once a tick, the state is read live: agreement is the same state on all three.
            c.clock.runUntil("the replicas agree", 30_000, () -> {
                for (int n = 1; n <= 3; n++) {
                    if (PartRuntimeTest.localSize(c.nodes[n]) < 0) return false; // a restarted node still catching up
                }
                Map<String, Value> first = c.nodes[1].readLocal("w");
                return first.equals(c.nodes[2].readLocal("w")) && first.equals(c.nodes[3].readLocal("w"));
            });
            if (Boolean.getBoolean("psr.part.faultDebug")) {
                for (int n = 1; n <= 3; n++) System.out.println("DEBUG node " + n + " " + c.nodes[n].status() + " keys " + c.nodes[n].readLocal("w").size());
                c.clock.runFor(5000);
                for (int n = 1; n <= 3; n++) System.out.println("DEBUG +5s node " + n + " " + c.nodes[n].status() + " keys " + c.nodes[n].readLocal("w").size());
                synchronized (c.logged) { for (String l : c.logged) System.out.println("DEBUG LOG " + l); }
                Map<String, Integer> why = new TreeMap<>();
                for (CompletableFuture<OperationResult> f : writes.values()) {
                    try {
                        f.get();
                    } catch (ExecutionException x) {
                        why.merge(x.getCause().getClass().getSimpleName() + ": " + x.getCause().getMessage().replaceAll("\\d+", "N"), 1, Integer::sum);
                    }
                }
                why.forEach((k, v) -> System.out.println("DEBUG WHY " + v + " x " + k));
            }
            Map<String, Value> state = c.nodes[1].readLocal("w");
            for (int n = 2; n <= 3; n++) assertEquals(state, c.nodes[n].readLocal("w"), "seed " + seed + ": replicas 1 and " + n + " differ");
            int ok = 0, notDone = 0, unknown = 0;
            for (Map.Entry<Integer, CompletableFuture<OperationResult>> e : writes.entrySet()) {
                String key = "w" + e.getKey();
                try {
                    OperationResult r = e.getValue().get();
                    if (!r.applied()) return "FAILED: " + key + " was answered 'compare-and-set failed': it executed twice";
                    if (!state.containsKey(key)) return "FAILED: " + key + " was committed at op " + r.opNumber() + " and is lost";
                    ok++;
                } catch (ExecutionException x) {
                    if (x.getCause() instanceof OutcomeUnknownException) {
                        unknown++;
                    } else {
                        if (state.containsKey(key)) return "FAILED: " + key + " failed as not done (" + x.getCause().getMessage() + ") yet it is committed";
                        notDone++;
                    }
                }
            }
            assertTrue(ok > 0, "seed " + seed + ": nothing committed at all");
            long cycles = c.nodes[1].readLocal("$task/pump/cycle").get("$task/pump/cycle").asInt64();
            long counted = c.nodes[1].readLocal("pump/count").get("pump/count").asInt64();
            if (counted != cycles) return "FAILED: the pump task committed " + cycles + " cycles but counted " + counted + ": a cycle ran twice or went back";
            return writes.size() + " writes under " + faults + " faults: " + ok + " committed, " + notDone + " certainly not, " + unknown
                    + " unknown; " + state.size() + " keys; " + cycles + " task cycles" + (c.extra.isEmpty() ? "" : "; client table 16")
                    + (forward ? "" : "; forward.writes false");
        } finally {
            c.stopAll();
        }
    }
}
