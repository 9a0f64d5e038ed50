package psr.consensus.lin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

    /** Base seed of the randomized tests; override with -Dlin.seed=N to reproduce or vary a run. */
    private static final long BASE_SEED = Long.getLong("lin.seed", 20240611L);

    // ---- helpers -------------------------------------------------------------------------------

    /** Adds a completed operation. */
    private static int op(History h, long client, long inv, long ret, Op op, Object result) {
        int id = h.invoke(client, inv, op);
        h.ok(id, ret, result);
        return id;
    }

    private static int put(History h, long client, long inv, long ret, String k, long v) {
        return op(h, client, inv, ret, Op.put(k, v), null);
    }

    private static int get(History h, long client, long inv, long ret, String k, Long v) {
        return op(h, client, inv, ret, Op.get(k), v);
    }

    private static int cas(History h, long client, long inv, long ret, String k, Long exp, long v, boolean ok) {
        return op(h, client, inv, ret, Op.cas(k, exp, v), ok);
    }

    private static CheckResult assertLin(History h) {
        CheckResult r = LinearizabilityChecker.check(h);
        assertTrue(r.isLinearizable(), () -> "expected linearizable:\n" + r.explanation() + "\n" + h);
        return r;
    }

    private static CheckResult assertNotLin(History h) {
        CheckResult r = LinearizabilityChecker.check(h);
        assertTrue(r.isNotLinearizable(), () -> "expected NOT linearizable, got " + r.verdict() + ":\n"
                + r.explanation() + "\n" + h);
        return r;
    }

    // ---- known-good histories -------------------------------------------------------------------

    /** A purely sequential history that follows the model is linearizable (incl. reads of an absent key). */
    @Test
    void sequentialHistoryIsLinearizable() {
        History h = new History();
        get(h, 1, 0, 1, "k", null);
        put(h, 1, 2, 3, "k", 5);
        get(h, 2, 4, 5, "k", 5L);
        cas(h, 1, 6, 7, "k", 5L, 6, true);
        cas(h, 2, 8, 9, "k", 5L, 7, false);
        get(h, 1, 10, 11, "k", 6L);
        cas(h, 1, 12, 13, "other", null, 1, true);
        get(h, 2, 14, 15, "other", 1L);
        CheckResult r = assertLin(h);
        assertEquals(2, r.keysChecked());
        assertEquals(null, r.key());
    }

    /** Concurrent PUTs may take effect in either order: later reads may see either value, consistently. */
    @Test
    void overlappingPutsMayBeSeenInEitherOrder() {
        for (long seen : new long[] {1, 2}) {
            History h = new History();
            put(h, 1, 0, 10, "k", 1);
            put(h, 2, 0, 10, "k", 2);
            get(h, 3, 11, 12, "k", seen);
            get(h, 3, 13, 14, "k", seen);
            assertLin(h);
        }
        // reads overlapping both puts may even see 1 then 2 or 2 then 1
        History h = new History();
        put(h, 1, 0, 100, "k", 1);
        put(h, 2, 0, 100, "k", 2);
        get(h, 3, 10, 20, "k", 2L);
        get(h, 3, 30, 40, "k", 1L);
        get(h, 4, 101, 102, "k", 1L);
        assertLin(h);
        // a read concurrent with a put may see the old or the new value; touching intervals are concurrent
        History h2 = new History();
        put(h2, 1, 0, 5, "k", 1);
        put(h2, 1, 6, 20, "k", 2);
        get(h2, 2, 10, 12, "k", 1L);
        get(h2, 3, 20, 25, "k", 2L);   // invoked at the very tick the put returned: concurrent
        get(h2, 4, 13, 20, "k", 1L);   // returned at the tick... still overlaps the put
        assertLin(h2);
    }

    /** CAS successes and failures that are consistent with some order are accepted. */
    @Test
    void consistentCasSuccessesAndFailures() {
        History h = new History();
        put(h, 1, 0, 1, "k", 0);
        cas(h, 1, 2, 10, "k", 0L, 1, true);    // concurrent: exactly one of these from 0 succeeds
        cas(h, 2, 2, 10, "k", 0L, 2, false);
        cas(h, 3, 3, 9, "k", 1L, 3, true);     // after the first one
        cas(h, 1, 11, 12, "k", null, 9, false); // key is present
        get(h, 2, 13, 14, "k", 3L);
        assertLin(h);
    }

    /** A pending PUT (client timed out) whose value is later read did take effect: linearizable. */
    @Test
    void pendingPutLaterObserved() {
        History h = new History();
        put(h, 1, 0, 1, "k", 1);
        int p = h.invoke(2, 2, Op.put("k", 2));
        h.unknown(p);
        get(h, 3, 50, 51, "k", 2L);
        get(h, 3, 52, 53, "k", 2L);
        assertLin(h);
    }

    /** A pending PUT that nobody ever observes may simply never have taken effect: linearizable. */
    @Test
    void pendingPutNeverObserved() {
        History h = new History();
        put(h, 1, 0, 1, "k", 1);
        h.invoke(2, 2, Op.put("k", 2));
        h.invoke(2, 3, Op.cas("k", 1L, 3));
        get(h, 3, 50, 51, "k", 1L);
        put(h, 3, 52, 53, "k", 4);
        get(h, 3, 54, 55, "k", 4L);
        assertLin(h);
    }

    /** A pending write may take effect long after its invocation, even after a later completed write. */
    @Test
    void pendingPutMayTakeEffectLate() {
        History h = new History();
        h.invoke(1, 0, Op.put("k", 1));          // never answered
        put(h, 2, 10, 11, "k", 2);
        get(h, 3, 12, 13, "k", 2L);
        get(h, 3, 20, 21, "k", 1L);              // the old pending PUT landed in between
        assertLin(h);
    }

    /** A chain of pending writes (PUT then CAS) can explain a read; the chain is found. */
    @Test
    void chainOfPendingWritesExplainsRead() {
        History h = new History();
        h.invoke(1, 0, Op.put("k", 1));
        h.invoke(2, 1, Op.cas("k", 1L, 2));
        h.invoke(4, 1, Op.cas("k", 2L, 3));
        get(h, 3, 10, 11, "k", 3L);
        get(h, 3, 12, 13, "k", 3L);
        assertLin(h);
    }

    /** A failed CAS needs the value to differ from expected; a pending write may provide that. */
    @Test
    void failedCasExplainedByPendingWrite() {
        History h = new History();
        put(h, 1, 0, 1, "k", 1);
        h.invoke(2, 2, Op.put("k", 7));
        cas(h, 3, 10, 11, "k", 1L, 3, false);
        assertLin(h);

        History bad = new History();
        put(bad, 1, 0, 1, "k", 1);
        cas(bad, 3, 10, 11, "k", 1L, 3, false);
        assertNotLin(bad);
    }

    /** Pending GETs and FAILED operations are ignored; failed writes never take effect. */
    @Test
    void failedAndPendingReadsAreDropped() {
        History h = new History();
        put(h, 1, 0, 1, "k", 1);
        int f = h.invoke(2, 2, Op.put("k", 9));
        h.failed(f, 3);
        h.invoke(3, 4, Op.get("k"));              // pending read, unconstrained
        get(h, 4, 5, 6, "k", 1L);
        assertLin(h);

        History bad = new History();
        put(bad, 1, 0, 1, "k", 1);
        int f2 = bad.invoke(2, 2, Op.put("k", 9));
        bad.failed(f2, 3);
        get(bad, 4, 5, 6, "k", 9L);               // observes a write that was reported as not executed
        CheckResult r = assertNotLin(bad);
        assertTrue(r.explanation().contains("FAILED"), r.explanation());
    }

    // ---- known-bad histories -------------------------------------------------------------------

    /** A read that starts after a write completed must not return the older value. */
    @Test
    void staleReadAfterCompletedWrite() {
        History h = new History();
        put(h, 1, 0, 1, "k", 1);
        put(h, 1, 2, 3, "k", 2);
        get(h, 2, 4, 5, "k", 1L);
        CheckResult r = assertNotLin(h);
        assertEquals("k", r.key());
    }

    /** Two CAS from the same expected value cannot both succeed (without an intervening write). */
    @Test
    void twoCasFromSameExpectedBothSucceed() {
        History h = new History();
        put(h, 1, 0, 1, "k", 0);
        cas(h, 1, 2, 10, "k", 0L, 1, true);
        cas(h, 2, 3, 9, "k", 0L, 2, true);
        assertNotLin(h);
    }

    /** A read cannot return a value that no operation ever wrote. */
    @Test
    void readOfValueNeverWritten() {
        History h = new History();
        put(h, 1, 0, 1, "k", 1);
        get(h, 2, 2, 3, "k", 42L);
        CheckResult r = assertNotLin(h);
        assertTrue(r.explanation().contains("42"), r.explanation());
        assertTrue(r.explanation().contains("ever wrote"), r.explanation());
    }

    /** An acknowledged update that is lost: a later read sees the value from before it. */
    @Test
    void lostUpdate() {
        History h = new History();
        cas(h, 1, 0, 1, "k", null, 1, true);
        cas(h, 2, 2, 3, "k", 1L, 2, true);
        get(h, 3, 4, 5, "k", 1L);
        assertNotLin(h);

        // classic read-modify-write race: both increments acknowledged, the final value counts only one
        History h2 = new History();
        put(h2, 1, 0, 1, "c", 0);
        get(h2, 1, 2, 3, "c", 0L);
        get(h2, 2, 2, 3, "c", 0L);
        cas(h2, 1, 4, 6, "c", 0L, 1, true);
        cas(h2, 2, 4, 6, "c", 0L, 1, true);
        assertNotLin(h2);
    }

    /** After a read saw the newer value, a later read (in real time) must not see the older one. */
    @Test
    void readSeesNewValueThenOldOne() {
        History h = new History();
        put(h, 1, 0, 5, "k", 1);
        put(h, 1, 10, 100, "k", 2);
        get(h, 2, 20, 30, "k", 2L);
        get(h, 3, 40, 50, "k", 1L);
        CheckResult r = assertNotLin(h);
        // the explanation names the key and lists the involved operations with their times
        String ex = r.explanation();
        assertTrue(ex.contains("key \"k\""), ex);
        assertTrue(ex.contains("GET(k) -> 1 [invoke 40, return 50]"), ex);
        assertTrue(ex.contains("client 3"), ex);
    }

    /** Keys are checked independently, and the violating key is the one reported. */
    @Test
    void violationIsReportedForTheRightKey() {
        History h = new History();
        put(h, 1, 0, 1, "a", 1);
        put(h, 1, 2, 3, "b", 1);
        get(h, 2, 4, 5, "a", 1L);
        get(h, 2, 6, 7, "b", 2L);
        CheckResult r = assertNotLin(h);
        assertEquals("b", r.key());
    }

    // ---- API behaviour ---------------------------------------------------------------------------

    /** Misuse of the history API is rejected early instead of producing a confusing verdict. */
    @Test
    void historyApiRejectsMisuse() {
        History h = new History();
        int a = h.invoke(1, 10, Op.get("k"));
        assertThrows(IllegalArgumentException.class, () -> h.ok(a, 9, 1L));       // returns before invoke
        assertThrows(IllegalArgumentException.class, () -> h.ok(a, 11, "x"));     // wrong result type
        h.ok(a, 11, 1);                                                            // Integer accepted as Long
        assertEquals(1L, h.entry(a).result());
        assertThrows(IllegalStateException.class, () -> h.ok(a, 12, 1L));         // completed twice
        assertThrows(IllegalStateException.class, () -> h.unknown(a));
        int b = h.invoke(1, 10, Op.cas("k", null, 1));
        assertThrows(IllegalArgumentException.class, () -> h.ok(b, 11, null));    // CAS needs a Boolean
        assertThrows(IllegalArgumentException.class, () -> h.ok(99, 11, null));
        assertThrows(IllegalArgumentException.class, () -> new Op(Op.Kind.PUT, "k", 1L, 2));
        assertEquals(History.Status.PENDING, h.entry(b).status());
    }

    /** With a tiny step budget the checker stops and says UNDECIDED rather than guessing or hanging. */
    @Test
    void budgetExhaustionIsUndecided() {
        History h = generate(new Random(BASE_SEED), 10, 1, 300, 0.0, 0.0, true).history;
        CheckResult small = LinearizabilityChecker.check(h, 20);
        assertTrue(small.isUndecided(), small.explanation());
        assertFalse(small.isLinearizable());
        assertTrue(small.explanation().startsWith("UNDECIDED"), small.explanation());
        assertTrue(LinearizabilityChecker.check(h).isLinearizable());
    }

    // ---- randomized ------------------------------------------------------------------------------

    /** A history produced by a real sequential execution (with random overlaps, timeouts and failures)
     *  is always linearizable; mutating one GET to a never-written value always makes it not. */
    @Test
    void randomHistoriesFromSequentialExecution() {
        System.out.println("randomHistoriesFromSequentialExecution base seed " + BASE_SEED
                + " (-Dlin.seed=N to change)");
        for (int i = 0; i < 60; i++) {
            long seed = BASE_SEED + i;
            Random rnd = new Random(seed);
            int clients = 2 + rnd.nextInt(15);
            int keys = 1 + rnd.nextInt(3);
            boolean smallValues = rnd.nextBoolean();
            Generated g = generate(rnd, clients, keys, 200 + rnd.nextInt(400), 0.05, 0.05, smallValues);
            CheckResult r = LinearizabilityChecker.check(g.history);
            assertTrue(r.isLinearizable(), () -> "seed " + seed + ": " + r.explanation());

            // mutate one completed GET to return a value nobody wrote: certainly not linearizable
            List<Integer> gets = new ArrayList<>();
            for (GenOp o : g.ops) {
                if (o.op.kind() == Op.Kind.GET && o.outcome == Outcome.OK) {
                    gets.add(o.index);
                }
            }
            if (gets.isEmpty()) {
                continue;
            }
            GenOp victim = g.ops.get(gets.get(rnd.nextInt(gets.size())));
            victim.result = 1_000_000_007L;
            CheckResult bad = LinearizabilityChecker.check(g.rebuild());
            assertTrue(bad.isNotLinearizable(), () -> "seed " + seed + ": " + bad.explanation());
            assertEquals(victim.op.key(), bad.key(), "seed " + seed);
        }
    }

    /** On small random histories the checker agrees exactly with a brute-force search over all
     *  orders (both for valid histories and for ones with a randomly mutated result). This validates
     *  the pruning of pending writes and the memoization. */
    @Test
    void agreesWithBruteForceOnSmallHistories() {
        System.out.println("agreesWithBruteForceOnSmallHistories base seed " + BASE_SEED);
        int violations = 0;
        for (int i = 0; i < 3000; i++) {
            long seed = BASE_SEED * 31 + i;
            Random rnd = new Random(seed);
            Generated g = generate(rnd, 2 + rnd.nextInt(3), 1 + rnd.nextInt(2), 3 + rnd.nextInt(5),
                    0.25, 0.1, true);
            if (rnd.nextInt(3) > 0) {
                mutate(g, rnd);
            }
            History h = g.rebuild();
            boolean expected = BruteForce.linearizable(h);
            CheckResult r = LinearizabilityChecker.check(h);
            assertFalse(r.isUndecided(), "seed " + seed);
            assertEquals(expected, r.isLinearizable(), () -> "seed " + seed + " brute force says " + expected
                    + "\n" + r.explanation() + "\n" + h);
            if (!expected) {
                violations++;
            }
        }
        System.out.println("  brute-force comparison: " + violations + " of 3000 histories not linearizable");
        assertTrue(violations > 100, "mutations should produce some violations");
    }

    /** Mutating a result in a large history (flip a CAS outcome or change a read to another written
     *  value) is usually a violation; the checker must always reach a decision. */
    @Test
    void mutatedLargeHistoriesAreDecided() {
        for (int i = 0; i < 30; i++) {
            long seed = BASE_SEED * 7 + i;
            Random rnd = new Random(seed);
            Generated g = generate(rnd, 3 + rnd.nextInt(10), 1, 500, 0.03, 0.03, false);
            mutate(g, rnd);
            CheckResult r = LinearizabilityChecker.check(g.rebuild());
            assertFalse(r.isUndecided(), () -> "seed " + seed + ": " + r.explanation());
        }
    }

    /** Performance sanity: a few thousand operations on one key, 20 concurrent clients, some
     *  timeouts; asserts only the verdict (time is printed, not asserted). */
    @Test
    void performanceSanity() {
        Random rnd = new Random(BASE_SEED ^ 0xABCDEF);
        Generated g = generate(rnd, 20, 1, 5000, 0.02, 0.02, false);
        long t0 = System.nanoTime();
        CheckResult r = LinearizabilityChecker.check(g.history);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("performanceSanity: 5000 ops, 20 clients: " + r.verdict() + " in " + ms + " ms, "
                + r.steps() + " steps");
        assertTrue(r.isLinearizable(), r::explanation);

        // many timed-out writes that are never observed must not blow up the search
        Generated g2 = generate(new Random(BASE_SEED + 5), 10, 1, 3000, 0.15, 0.0, false);
        t0 = System.nanoTime();
        CheckResult r2 = LinearizabilityChecker.check(g2.history);
        ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("performanceSanity: 3000 ops, 15% pending: " + r2.verdict() + " in " + ms + " ms, "
                + r2.steps() + " steps");
        assertTrue(r2.isLinearizable(), r2::explanation);

        // small value domain (many equal values, lots of ambiguity)
        Generated g3 = generate(new Random(BASE_SEED + 6), 15, 1, 3000, 0.05, 0.0, true);
        t0 = System.nanoTime();
        CheckResult r3 = LinearizabilityChecker.check(g3.history);
        ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("performanceSanity: 3000 ops, small values: " + r3.verdict() + " in " + ms + " ms, "
                + r3.steps() + " steps");
        assertTrue(r3.isLinearizable(), r3::explanation);
    }

    // ---- random history generator -----------------------------------------------------------------

    private enum Outcome { OK, PENDING, FAILED }

    private static final class GenOp {
        int index;
        long client;
        Op op;
        long inv;
        long ret;
        double lin;
        Outcome outcome;
        boolean executed;
        Object result;
    }

    private static final class Generated {
        final List<GenOp> ops;
        final History history;

        Generated(List<GenOp> ops) {
            this.ops = ops;
            this.history = rebuild();
        }

        History rebuild() {
            History h = new History();
            for (GenOp o : ops) {
                int id = h.invoke(o.client, o.inv, o.op);
                if (o.outcome == Outcome.OK) {
                    h.ok(id, o.ret, o.result);
                } else if (o.outcome == Outcome.FAILED) {
                    h.failed(id, o.ret);
                } else {
                    h.unknown(id);
                }
            }
            return h;
        }
    }

    /**
     * Generates a history from a real sequential execution: every client runs operations one after
     * another with random durations; each executed operation takes effect at a random instant within
     * its interval (pending ones: any instant after invocation, or never), and results are computed by
     * applying the operations to a map in the order of those instants.
     */
    private static Generated generate(Random rnd, int clients, int keys, int count, double pPending,
                                      double pFailed, boolean smallValues) {
        long[] clock = new long[clients];
        for (int c = 0; c < clients; c++) {
            clock[c] = rnd.nextInt(5);
        }
        List<GenOp> ops = new ArrayList<>();
        Map<String, List<Long>> written = new HashMap<>();
        long nextValue = 1;
        for (int i = 0; i < count; i++) {
            int c = rnd.nextInt(clients);
            GenOp o = new GenOp();
            o.index = i;
            o.client = c;
            String key = "k" + rnd.nextInt(keys);
            List<Long> w = written.computeIfAbsent(key, k -> new ArrayList<>());
            int kind = rnd.nextInt(100);
            long value = smallValues ? rnd.nextInt(4) : nextValue++;
            if (kind < 40) {
                o.op = Op.put(key, value);
            } else if (kind < 65) {
                Long exp = w.isEmpty() || rnd.nextInt(8) == 0 ? null : w.get(w.size() - 1 - rnd.nextInt(Math.min(3, w.size())));
                o.op = Op.cas(key, exp, value);
            } else {
                o.op = Op.get(key);
            }
            if (o.op.isWrite()) {
                w.add(value);
            }
            o.inv = clock[c] + rnd.nextInt(3);
            long dur = rnd.nextInt(12);
            o.ret = o.inv + dur;
            double u = rnd.nextDouble();
            o.outcome = u < pPending ? Outcome.PENDING : u < pPending + pFailed ? Outcome.FAILED : Outcome.OK;
            if (o.outcome == Outcome.OK) {
                o.executed = true;
                o.lin = o.inv + rnd.nextDouble() * dur;
            } else if (o.outcome == Outcome.PENDING) {
                o.executed = rnd.nextBoolean();
                o.lin = o.inv + rnd.nextDouble() * 60;   // may land long after the client gave up
            }
            clock[c] = o.ret + (o.outcome == Outcome.PENDING ? 20 : 0) + rnd.nextInt(3);
            ops.add(o);
        }
        List<GenOp> order = new ArrayList<>();
        for (GenOp o : ops) {
            if (o.executed) {
                order.add(o);
            }
        }
        order.sort(Comparator.comparingDouble((GenOp o) -> o.lin).thenComparingInt(o -> o.index));
        Map<String, Long> state = new HashMap<>();
        for (GenOp o : order) {
            Long cur = state.get(o.op.key());
            switch (o.op.kind()) {
                case PUT:
                    state.put(o.op.key(), o.op.value());
                    break;
                case CAS:
                    boolean okCas = Objects.equals(cur, o.op.expected());
                    if (okCas) {
                        state.put(o.op.key(), o.op.value());
                    }
                    o.result = okCas;
                    break;
                default:
                    o.result = cur;
            }
        }
        return new Generated(ops);
    }

    /** Changes one completed result: flip a CAS, or make a GET return another value (maybe absent). */
    private static void mutate(Generated g, Random rnd) {
        List<GenOp> candidates = new ArrayList<>();
        for (GenOp o : g.ops) {
            if (o.outcome == Outcome.OK && o.op.kind() != Op.Kind.PUT) {
                candidates.add(o);
            }
        }
        if (candidates.isEmpty()) {
            return;
        }
        GenOp v = candidates.get(rnd.nextInt(candidates.size()));
        if (v.op.kind() == Op.Kind.CAS) {
            v.result = !(Boolean) v.result;
        } else {
            int x = rnd.nextInt(5);
            v.result = x == 4 ? null : Long.valueOf(x);
            if (Objects.equals(v.result, v.op.value())) {
                v.result = null;
            }
        }
    }

    // ---- brute-force oracle -------------------------------------------------------------------------

    /** Exhaustive search straight from the definition, no pruning: only for tiny histories. */
    private static final class BruteForce {
        static boolean linearizable(History h) {
            List<History.Entry> ops = new ArrayList<>();
            for (History.Entry e : h.entries()) {
                if (e.status() != History.Status.FAILED) {
                    ops.add(e);
                }
            }
            return search(ops, new boolean[ops.size()], new HashMap<>());
        }

        private static boolean search(List<History.Entry> ops, boolean[] done, Map<String, Long> state) {
            boolean allCompletedDone = true;
            for (int i = 0; i < ops.size(); i++) {
                if (!done[i] && ops.get(i).status() == History.Status.OK) {
                    allCompletedDone = false;
                }
            }
            if (allCompletedDone) {
                return true;
            }
            for (int i = 0; i < ops.size(); i++) {
                if (done[i]) {
                    continue;
                }
                History.Entry e = ops.get(i);
                boolean minimal = true;
                for (int j = 0; j < ops.size(); j++) {
                    if (!done[j] && j != i && ops.get(j).returnTime() < e.invokeTime()) {
                        minimal = false;
                    }
                }
                if (!minimal) {
                    continue;
                }
                String k = e.op().key();
                Long cur = state.get(k);
                boolean pending = e.status() == History.Status.PENDING;
                Long next = cur;
                switch (e.op().kind()) {
                    case PUT:
                        next = e.op().value();
                        break;
                    case CAS:
                        boolean success = Objects.equals(cur, e.op().expected());
                        if (!pending && success != (Boolean) e.result()) {
                            continue;
                        }
                        if (success) {
                            next = e.op().value();
                        }
                        break;
                    default:
                        if (!pending && !Objects.equals(cur, e.result())) {
                            continue;
                        }
                }
                done[i] = true;
                Map<String, Long> s2 = new HashMap<>(state);
                if (next == null) {
                    s2.remove(k);
                } else {
                    s2.put(k, next);
                }
                boolean ok = search(ops, done, s2);
                done[i] = false;
                if (ok) {
                    return true;
                }
            }
            return false;
        }
    }
}
