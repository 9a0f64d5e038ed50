package psr.consensus.lin;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Linearizability checker for {@link History histories} of the key-value model ({@link Op}).
 *
 * <p><b>Method.</b> Every operation touches exactly one key and keys are independent registers, so the
 * history is linearizable iff each per-key sub-history is (P-compositionality). Each key is checked by
 * a Wing &amp; Gong / Lowe style depth-first search for a linearization, with memoization of the
 * visited configurations (set of linearized operations, register value), as in Lowe, "Testing for
 * linearizability" (2017) and Porcupine. Completed operations are kept in a doubly linked list of
 * call/return events sorted by time; the operations that may be linearized next are those whose call
 * event precedes the first remaining return event.
 *
 * <p><b>Pending operations</b> (no answer seen) may take effect at any point after their invocation or
 * never, and their results are unconstrained. Pending GETs are therefore dropped. Pending writes are
 * never linearized speculatively: since a pending operation can always be moved later in a
 * linearization (it precedes nothing), it suffices to insert one only as a minimal chain of pending
 * writes placed immediately before a completed operation that is impossible in the current value but
 * possible after the chain (e.g. a GET observing a value only a pending PUT wrote). Identical pending
 * writes that are both eligible are interchangeable, so only one of them is tried. This keeps the
 * search linear in the common case even with many timed-out writes.
 *
 * <p><b>Bounds.</b> The search of each key is limited by a step budget; when it runs out the verdict is
 * {@link CheckResult.Verdict#UNDECIDED}, never a hang. Memoization stores 128-bit Zobrist fingerprints
 * of configurations (a false "already visited" would need a 128-bit collision).
 */
public final class LinearizabilityChecker {

    /** Default step budget per key. */
    public static final long DEFAULT_STEP_BUDGET = 2_000_000L;

    /** Maximum number of operations listed in an explanation. */
    private static final int MAX_LISTED = 60;
    /** Number of last linearized operations shown in an explanation. */
    private static final int PATH_TAIL = 12;

    private LinearizabilityChecker() {
    }

    /** Checks {@code history} with the {@linkplain #DEFAULT_STEP_BUDGET default step budget} per key. */
    public static CheckResult check(History history) {
        return check(history, DEFAULT_STEP_BUDGET);
    }

    /**
     * Checks {@code history}; the search of each key gives up (verdict UNDECIDED) after
     * {@code stepBudgetPerKey} steps. A violation found on any key takes precedence over undecided keys.
     */
    public static CheckResult check(History history, long stepBudgetPerKey) {
        if (stepBudgetPerKey <= 0) {
            throw new IllegalArgumentException("step budget must be positive");
        }
        Map<String, List<History.Entry>> byKey = new TreeMap<>();
        for (History.Entry e : history.entries()) {
            byKey.computeIfAbsent(e.op().key(), k -> new ArrayList<>()).add(e);
        }
        long steps = 0;
        int ops = 0;
        KeyOutcome undecided = null;
        int keyIndex = 0;
        for (Map.Entry<String, List<History.Entry>> k : byKey.entrySet()) {
            KeySearch search = new KeySearch(k.getKey(), k.getValue(), stepBudgetPerKey, keyIndex++);
            KeyOutcome out = search.run();
            steps += out.steps;
            ops += search.n;
            if (out.verdict == CheckResult.Verdict.NOT_LINEARIZABLE) {
                return new CheckResult(out.verdict, k.getKey(), out.explanation, steps, byKey.size(), ops);
            }
            if (out.verdict == CheckResult.Verdict.UNDECIDED && undecided == null) {
                undecided = out;
            }
        }
        if (undecided != null) {
            return new CheckResult(undecided.verdict, undecided.key, undecided.explanation, steps, byKey.size(), ops);
        }
        String summary = "LINEARIZABLE: " + byKey.size() + " key(s), " + ops + " operation(s) checked, "
                + steps + " search step(s)";
        return new CheckResult(CheckResult.Verdict.LINEARIZABLE, null, summary, steps, byKey.size(), ops);
    }

    // ------------------------------------------------------------------------------------------------

    private static final class KeyOutcome {
        final CheckResult.Verdict verdict;
        final String key;
        final String explanation;
        final long steps;

        KeyOutcome(CheckResult.Verdict verdict, String key, String explanation, long steps) {
            this.verdict = verdict;
            this.key = key;
            this.explanation = explanation;
            this.steps = steps;
        }
    }

    /** A step of the search: a (possibly empty) chain of pending writes, then one completed operation. */
    private static final class Move {
        final int[] chain;
        final int op;
        final Long after;

        Move(int[] chain, int op, Long after) {
            this.chain = chain;
            this.op = op;
            this.after = after;
        }
    }

    /** A node of the depth-first search. */
    private static final class Frame {
        final Long state;
        final Move via;
        final long minRet;
        final ArrayList<Move> moves = new ArrayList<>();
        final int[] needChain;
        int next;
        boolean chainsGenerated;

        Frame(Long state, Move via, long minRet, int[] needChain) {
            this.state = state;
            this.via = via;
            this.minRet = minRet;
            this.needChain = needChain;
        }
    }

    private static final int[] NO_CHAIN = new int[0];

    /** Search over the operations of one key. */
    private static final class KeySearch {
        final String key;
        final long budget;
        final List<History.Entry> all;      // every operation on the key, including dropped ones
        final History.Entry[] ent;          // considered operations: completed first, then pending writes
        final int n;                         // considered operations
        final int m;                         // completed operations (indices 0..m-1)

        // event list over completed operations; index 2m is the head sentinel
        final int head;
        final int[] evOp;
        final boolean[] evCall;
        final long[] evTime;
        final int[] nextEv;
        final int[] prevEv;
        final int[] callEv;
        final int[] retEv;

        // pending writes, indexed by the value they write, each list sorted by invoke time
        final Map<Long, int[]> pendingPutByValue = new HashMap<>();
        final Map<Long, int[]> pendingCasByValue = new HashMap<>();
        final Map<Long, int[]> pendingCasByExpected = new HashMap<>();  // key may be null (absent)
        final int[] pendingPuts;                                          // sorted by invoke time
        final Map<Long, long[]> needRet = new HashMap<>();
        final Set<Long> observed = new HashSet<>();
        final Long garbage;
        final Map<Long, long[]> needInvSuffixMin = new HashMap<>();

        // configuration
        final long[] bits;
        final long[] z1;
        final long[] z2;
        long h1;
        long h2;
        int remaining;
        long steps;
        final FingerprintSet visited = new FingerprintSet();

        // deepest configuration reached, for explanations
        int bestDepth = -1;
        Long bestState;
        List<Move> bestTail = new ArrayList<>();
        int[] bestWindow = NO_CHAIN;
        int bestBlocking = -1;

        /**
         * Heuristic: invoke time of the earliest operation still to return at or after {@code minRet}
         * that needs value {@code v}; {@code Long.MIN_VALUE} if none does.
         */
        long neededAt(Long v, long minRet) {
            if (v == null) {
                return Long.MAX_VALUE;
            }
            long[] rets = needRet.get(v);
            if (rets == null) {
                return Long.MIN_VALUE;
            }
            int lo = 0;
            int hi = rets.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (rets[mid] < minRet) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo == rets.length ? Long.MIN_VALUE : needInvSuffixMin.get(v)[lo];
        }

        KeySearch(String key, List<History.Entry> entries, long budget, int keyIndex) {
            this.key = key;
            this.budget = budget;
            this.all = entries;
            List<History.Entry> completed = new ArrayList<>();
            List<History.Entry> pending = new ArrayList<>();
            for (History.Entry e : entries) {
                if (e.status() == History.Status.OK) {
                    completed.add(e);
                } else if (e.status() == History.Status.PENDING && e.op().isWrite()) {
                    pending.add(e);
                }
            }
            Comparator<History.Entry> byInvoke = Comparator.comparingLong(History.Entry::invokeTime)
                    .thenComparingInt(History.Entry::id);
            completed.sort(byInvoke);
            pending.sort(byInvoke);
            m = completed.size();
            n = m + pending.size();
            ent = new History.Entry[n];
            for (int i = 0; i < m; i++) {
                ent[i] = completed.get(i);
            }
            for (int i = 0; i < pending.size(); i++) {
                ent[m + i] = pending.get(i);
            }

            // events: calls before returns at equal times (equal times are concurrent)
            Integer[] order = new Integer[2 * m];
            for (int i = 0; i < 2 * m; i++) {
                order[i] = i;
            }
            Arrays.sort(order, Comparator
                    .comparingLong((Integer e) -> (e % 2 == 0) ? ent[e / 2].invokeTime() : ent[e / 2].returnTime())
                    .thenComparingInt(e -> e % 2)
                    .thenComparingInt(e -> e / 2));
            head = 2 * m;
            evOp = new int[2 * m];
            evCall = new boolean[2 * m];
            evTime = new long[2 * m];
            nextEv = new int[2 * m + 1];
            prevEv = new int[2 * m + 1];
            callEv = new int[m];
            retEv = new int[m];
            int prev = head;
            for (int pos = 0; pos < 2 * m; pos++) {
                int code = order[pos];
                int op = code / 2;
                boolean call = code % 2 == 0;
                evOp[pos] = op;
                evCall[pos] = call;
                evTime[pos] = call ? ent[op].invokeTime() : ent[op].returnTime();
                if (call) {
                    callEv[op] = pos;
                } else {
                    retEv[op] = pos;
                }
                nextEv[prev] = pos;
                prevEv[pos] = prev;
                prev = pos;
            }
            nextEv[prev] = head;
            prevEv[head] = prev;

            Map<Long, List<Integer>> putBy = new HashMap<>();
            Map<Long, List<Integer>> casBy = new HashMap<>();
            Map<Long, List<Integer>> casExp = new HashMap<>();
            List<Integer> puts = new ArrayList<>();
            for (int i = m; i < n; i++) {
                Op op = ent[i].op();
                if (op.kind() == Op.Kind.PUT) {
                    putBy.computeIfAbsent(op.value(), v -> new ArrayList<>()).add(i);
                    puts.add(i);
                } else {
                    casBy.computeIfAbsent(op.value(), v -> new ArrayList<>()).add(i);
                    casExp.computeIfAbsent(op.expected(), v -> new ArrayList<>()).add(i);
                }
            }
            putBy.forEach((k, v) -> pendingPutByValue.put(k, toArray(v)));
            casBy.forEach((k, v) -> pendingCasByValue.put(k, toArray(v)));
            casExp.forEach((k, v) -> pendingCasByExpected.put(k, toArray(v)));
            pendingPuts = toArray(puts);

            // for the ordering heuristic: who needs which value, sorted by return time
            Map<Long, List<History.Entry>> needers = new HashMap<>();
            for (int i = 0; i < m; i++) {
                History.Entry e = ent[i];
                Long v = null;
                if (e.op().kind() == Op.Kind.GET) {
                    v = (Long) e.result();
                } else if (e.op().kind() == Op.Kind.CAS && (Boolean) e.result()) {
                    v = e.op().expected();
                }
                if (v != null) {
                    needers.computeIfAbsent(v, x -> new ArrayList<>()).add(e);
                }
            }
            for (Map.Entry<Long, List<History.Entry>> ne : needers.entrySet()) {
                List<History.Entry> l = ne.getValue();
                l.sort(Comparator.comparingLong(History.Entry::returnTime));
                long[] rets = new long[l.size()];
                long[] sufMin = new long[l.size()];
                long min = Long.MAX_VALUE;
                for (int i = l.size() - 1; i >= 0; i--) {
                    rets[i] = l.get(i).returnTime();
                    min = Math.min(min, l.get(i).invokeTime());
                    sufMin[i] = min;
                }
                needRet.put(ne.getKey(), rets);
                needInvSuffixMin.put(ne.getKey(), sufMin);
            }

            bits = new long[(n + 63) / 64 + 1];
            z1 = new long[n];
            z2 = new long[n];
            SplittableRandom rnd = new SplittableRandom(0x9E3779B97F4A7C15L ^ keyIndex);
            for (int i = 0; i < n; i++) {
                z1[i] = rnd.nextLong();
                z2[i] = rnd.nextLong();
            }
            remaining = m;

            // values nobody can observe (no GET returns them, no CAS expects them) are interchangeable:
            // they are all represented by one sentinel so the memoization merges such configurations
            for (int i = 0; i < n; i++) {
                History.Entry e = ent[i];
                if (e.op().kind() == Op.Kind.CAS && e.op().expected() != null) {
                    observed.add(e.op().expected());
                } else if (e.op().kind() == Op.Kind.GET && e.result() != null) {
                    observed.add((Long) e.result());
                }
            }
            long g = Long.MIN_VALUE;
            while (observed.contains(g)) {
                g++;
            }
            garbage = g;
        }

        private static int[] toArray(List<Integer> l) {
            int[] a = new int[l.size()];
            for (int i = 0; i < a.length; i++) {
                a[i] = l.get(i);
            }
            return a;
        }

        // ---- model ------------------------------------------------------------------------------

        /** The value as the search sees it: unobservable values collapse into one sentinel. */
        Long canon(long v) {
            return observed.contains(v) ? Long.valueOf(v) : garbage;
        }

        /** Whether completed operation {@code op} is possible when the register holds {@code s}. */
        boolean legal(int op, Long s) {
            History.Entry e = ent[op];
            switch (e.op().kind()) {
                case PUT:
                    return true;
                case GET:
                    return Objects.equals(s, e.result());
                default:
                    boolean success = (Boolean) e.result();
                    return success == Objects.equals(s, e.op().expected());
            }
        }

        /** State after completed operation {@code op} (assumed legal) from {@code s}. */
        Long after(int op, Long s) {
            History.Entry e = ent[op];
            switch (e.op().kind()) {
                case PUT:
                    return canon(e.op().value());
                case GET:
                    return s;
                default:
                    return (Boolean) e.result() ? canon(e.op().value()) : s;
            }
        }

        // ---- configuration ----------------------------------------------------------------------

        boolean consumed(int i) {
            return (bits[i >>> 6] & (1L << i)) != 0;
        }

        void toggle(int i) {
            bits[i >>> 6] ^= 1L << i;
            h1 ^= z1[i];
            h2 ^= z2[i];
        }

        void apply(Move mv) {
            for (int p : mv.chain) {
                toggle(p);
            }
            toggle(mv.op);
            int c = callEv[mv.op];
            int r = retEv[mv.op];
            nextEv[prevEv[c]] = nextEv[c];
            prevEv[nextEv[c]] = prevEv[c];
            nextEv[prevEv[r]] = nextEv[r];
            prevEv[nextEv[r]] = prevEv[r];
            remaining--;
        }

        void undo(Move mv) {
            int c = callEv[mv.op];
            int r = retEv[mv.op];
            nextEv[prevEv[r]] = r;
            prevEv[nextEv[r]] = r;
            nextEv[prevEv[c]] = c;
            prevEv[nextEv[c]] = c;
            toggle(mv.op);
            for (int p : mv.chain) {
                toggle(p);
            }
            remaining++;
        }

        static long mix(long x) {
            x = (x ^ (x >>> 30)) * 0xBF58476D1CE4E5B9L;
            x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
            return x ^ (x >>> 31);
        }

        long fp1(Long s) {
            return h1 ^ (s == null ? 0x5DEECE66DL : mix(s ^ 0x1234567L));
        }

        long fp2(Long s) {
            return h2 ^ (s == null ? 0xB5AD4ECEDA1CE2A9L : mix(s * 31 + 0x7654321L));
        }

        // ---- search -----------------------------------------------------------------------------

        /**
         * Builds the node for the current configuration with register value {@code s}.
         *
         * <p>If some operation that may come next is possible and leaves the value unchanged wherever it
         * is placed (a GET reading it, a failed CAS, a successful CAS with expected == new value), it is
         * the only move tried: moving such an operation to the front of any linearization of the
         * remaining operations keeps it valid, so nothing is lost. (Not so for a PUT of the current
         * value: at a later point it could change the value.) Otherwise the value-changing moves are
         * tried in order of when their value is next needed (by a GET returning it or a successful CAS
         * expecting it, not yet returned): values nobody needs first (they will be overwritten), then
         * the value needed soonest; ties by the write's own return time.
         */
        Frame node(Long s, Move via) {
            List<Integer> need = null;
            ArrayList<Integer> writes = new ArrayList<>();
            int e = nextEv[head];
            while (e != head && evCall[e]) {
                int op = evOp[e];
                if (legal(op, s)) {
                    Long a = after(op, s);
                    if (Objects.equals(a, s) && ent[op].op().kind() != Op.Kind.PUT) {
                        e = nextEv[e];
                        while (e != head && evCall[e]) {
                            e = nextEv[e];
                        }
                        Frame f = new Frame(s, via, e == head ? History.INFINITY : evTime[e], NO_CHAIN);
                        f.chainsGenerated = true;
                        f.moves.add(new Move(NO_CHAIN, op, a));
                        return f;
                    }
                    writes.add(op);
                } else {
                    if (need == null) {
                        need = new ArrayList<>();
                    }
                    need.add(op);
                }
                e = nextEv[e];
            }
            long minRet = e == head ? History.INFINITY : evTime[e];
            Frame f = new Frame(s, via, minRet, need == null ? NO_CHAIN : toArray(need));
            if (writes.size() == 1) {
                int op = writes.get(0);
                f.moves.add(new Move(NO_CHAIN, op, after(op, s)));
            } else if (!writes.isEmpty()) {
                int k = writes.size();
                long[] urgency = new long[k];
                Long[] afterState = new Long[k];
                for (int i = 0; i < k; i++) {
                    int op = writes.get(i);
                    afterState[i] = after(op, s);
                    urgency[i] = neededAt(afterState[i], minRet);
                }
                Integer[] idx = new Integer[k];
                for (int i = 0; i < k; i++) {
                    idx[i] = i;
                }
                Arrays.sort(idx, Comparator.comparingLong((Integer i) -> urgency[i])
                        .thenComparingLong(i -> ent[writes.get(i)].returnTime())
                        .thenComparingInt(i -> i));
                for (int i : idx) {
                    f.moves.add(new Move(NO_CHAIN, writes.get(i), afterState[i]));
                }
            }
            return f;
        }

        /** Adds the moves that first apply a minimal chain of pending writes (second phase of a node). */
        void addChainMoves(Frame f) {
            f.chainsGenerated = true;
            if (n == m) {
                return;
            }
            for (int op : f.needChain) {
                History.Entry e = ent[op];
                Long s = f.state;
                List<int[]> chains = new ArrayList<>();
                switch (e.op().kind()) {
                    case GET:
                        if (e.result() != null) {
                            chainsTo(s, (Long) e.result(), f.minRet, new HashSet<>(), new ArrayList<>(), chains);
                        }
                        break;
                    case CAS:
                        if ((Boolean) e.result()) {
                            if (e.op().expected() != null) {
                                chainsTo(s, e.op().expected(), f.minRet, new HashSet<>(), new ArrayList<>(), chains);
                            }
                        } else {
                            // failed CAS while the value equals expected: one pending write changing it suffices
                            Set<Long> seen = new HashSet<>();
                            for (int p : pendingPuts) {
                                if (ent[p].invokeTime() > f.minRet) {
                                    break;
                                }
                                Long v = canon(ent[p].op().value());
                                if (!consumed(p) && !Objects.equals(v, s) && seen.add(v)) {
                                    chains.add(new int[] {p});
                                }
                            }
                            seen.clear();
                            int[] cas = pendingCasByExpected.get(s);
                            if (cas != null) {
                                for (int p : cas) {
                                    if (ent[p].invokeTime() > f.minRet) {
                                        break;
                                    }
                                    Long v = canon(ent[p].op().value());
                                    if (!consumed(p) && !Objects.equals(v, s) && seen.add(v)) {
                                        chains.add(new int[] {p});
                                    }
                                }
                            }
                        }
                        break;
                    default:
                        break;
                }
                for (int[] chain : chains) {
                    Long t = chainResult(s, chain);
                    if (legal(op, t)) {
                        f.moves.add(new Move(chain, op, after(op, t)));
                    }
                }
            }
        }

        Long chainResult(Long s, int[] chain) {
            Long v = s;
            for (int p : chain) {
                Op op = ent[p].op();
                if (op.kind() == Op.Kind.PUT || Objects.equals(v, op.expected())) {
                    v = canon(op.value());
                }
            }
            return v;
        }

        /**
         * Enumerates minimal chains of eligible pending writes taking the register from {@code s} to
         * {@code target} (target != s), searching backwards from the target; {@code suffix} holds the
         * chain already fixed after the current target (in reverse order).
         */
        void chainsTo(Long s, long target, long minRet, Set<Long> visitedStates, List<Integer> suffix,
                      List<int[]> out) {
            steps++;
            visitedStates.add(target);
            int[] puts = pendingPutByValue.get(target);
            if (puts != null) {
                for (int p : puts) {
                    if (ent[p].invokeTime() > minRet) {
                        break;
                    }
                    if (!consumed(p)) {
                        out.add(build(p, suffix));
                        break;  // identical eligible pending PUTs are interchangeable
                    }
                }
            }
            int[] cas = pendingCasByValue.get(target);
            if (cas != null) {
                Set<Long> seenFrom = new HashSet<>();
                for (int p : cas) {
                    if (ent[p].invokeTime() > minRet) {
                        break;
                    }
                    Long from = ent[p].op().expected();
                    if (consumed(p) || Objects.equals(from, target) || visitedStates.contains(from)
                            || !seenFrom.add(from)) {
                        continue;
                    }
                    if (Objects.equals(from, s)) {
                        out.add(build(p, suffix));
                    } else if (from != null) {
                        suffix.add(p);
                        chainsTo(s, from, minRet, visitedStates, suffix, out);
                        suffix.remove(suffix.size() - 1);
                    }
                }
            }
            visitedStates.remove(target);
        }

        private static int[] build(int first, List<Integer> reversedSuffix) {
            int[] c = new int[reversedSuffix.size() + 1];
            c[0] = first;
            for (int i = 0; i < reversedSuffix.size(); i++) {
                c[i + 1] = reversedSuffix.get(reversedSuffix.size() - 1 - i);
            }
            return c;
        }

        KeyOutcome run() {
            if (m == 0) {
                return new KeyOutcome(CheckResult.Verdict.LINEARIZABLE, key, "", 0);
            }
            String quick = precheck();
            if (quick != null) {
                return new KeyOutcome(CheckResult.Verdict.NOT_LINEARIZABLE, key, quick, 0);
            }
            ArrayList<Frame> stack = new ArrayList<>();
            Frame root = node(null, null);
            visited.add(fp1(null), fp2(null));
            stack.add(root);
            recordDepth(stack, root);
            while (!stack.isEmpty()) {
                Frame top = stack.get(stack.size() - 1);
                if (top.next >= top.moves.size() && !top.chainsGenerated) {
                    addChainMoves(top);
                }
                if (top.next >= top.moves.size()) {
                    stack.remove(stack.size() - 1);
                    if (top.via != null) {
                        undo(top.via);
                    }
                    continue;
                }
                Move mv = top.moves.get(top.next++);
                if (++steps > budget) {
                    return new KeyOutcome(CheckResult.Verdict.UNDECIDED, key, explain(false), steps);
                }
                apply(mv);
                if (remaining == 0) {
                    return new KeyOutcome(CheckResult.Verdict.LINEARIZABLE, key, "", steps);
                }
                if (!visited.add(fp1(mv.after), fp2(mv.after))) {
                    undo(mv);
                    continue;
                }
                Frame child = node(mv.after, mv);
                stack.add(child);
                recordDepth(stack, child);
            }
            return new KeyOutcome(CheckResult.Verdict.NOT_LINEARIZABLE, key, explain(true), steps);
        }

        /**
         * Cheap necessary conditions, checked before the search so that the commonest violations are
         * reported at once even in histories too large to search exhaustively: a completed operation
         * relying on a value no (possibly) executed write produced, or on the key being absent after a
         * write had already completed (nothing ever deletes a key).
         */
        String precheck() {
            Set<Long> written = new HashSet<>();
            int firstWrite = -1;
            for (int i = 0; i < n; i++) {
                History.Entry e = ent[i];
                Op op = e.op();
                boolean writes = op.kind() == Op.Kind.PUT
                        || op.kind() == Op.Kind.CAS && (e.isPending() || (Boolean) e.result());
                if (writes) {
                    written.add(op.value());
                    if (!e.isPending() && (firstWrite < 0 || e.returnTime() < ent[firstWrite].returnTime())) {
                        firstWrite = i;
                    }
                }
            }
            for (int i = 0; i < m; i++) {
                History.Entry e = ent[i];
                Op op = e.op();
                boolean relies = op.kind() == Op.Kind.GET || op.kind() == Op.Kind.CAS && (Boolean) e.result();
                if (!relies) {
                    continue;
                }
                Long needed = op.kind() == Op.Kind.GET ? (Long) e.result() : op.expected();
                if (needed != null && !written.contains(needed)) {
                    return explainSingle(e, null, "it relies on value " + needed + ", which " + neverWritten(needed));
                }
                if (needed == null && firstWrite >= 0 && ent[firstWrite].returnTime() < e.invokeTime()) {
                    return explainSingle(e, ent[firstWrite], "it relies on \"" + key + "\" being absent, but a write"
                            + " had completed before it was invoked (nothing deletes a key)");
                }
            }
            return null;
        }

        String neverWritten(long v) {
            for (History.Entry e : all) {
                if (e.status() == History.Status.FAILED && e.op().isWrite() && e.op().value() == v) {
                    return "was only written by operation(s) reported FAILED (not executed)";
                }
            }
            return "no operation on this key ever wrote";
        }

        String explainSingle(History.Entry culprit, History.Entry other, String reason) {
            StringBuilder sb = new StringBuilder();
            sb.append("NOT LINEARIZABLE: key \"").append(key).append("\": operation\n    ")
                    .append(culprit.describe()).append("\nis impossible: ").append(reason).append('\n');
            if (other != null) {
                sb.append("    ").append(other.describe()).append('\n');
            }
            List<History.Entry> involved = new ArrayList<>();
            for (History.Entry e : all) {
                if (e.invokeTime() <= culprit.returnTime() && e.returnTime() >= culprit.invokeTime()) {
                    involved.add(e);
                }
            }
            appendList(sb, involved, culprit.invokeTime(), culprit.returnTime());
            return sb.toString();
        }

        void recordDepth(List<Frame> stack, Frame f) {
            int depth = m - remaining;
            if (depth <= bestDepth) {
                return;
            }
            bestDepth = depth;
            bestState = f.state;
            bestTail = new ArrayList<>();
            for (int i = Math.max(1, stack.size() - PATH_TAIL); i < stack.size(); i++) {
                bestTail.add(stack.get(i).via);
            }
            List<Integer> window = new ArrayList<>();
            int e = nextEv[head];
            while (e != head && evCall[e]) {
                window.add(evOp[e]);
                e = nextEv[e];
            }
            bestWindow = toArray(window);
            bestBlocking = e == head ? -1 : evOp[e];
        }

        // ---- explanation ------------------------------------------------------------------------

        String explain(boolean violation) {
            StringBuilder sb = new StringBuilder();
            int pendingGets = 0;
            int failed = 0;
            for (History.Entry e : all) {
                if (e.status() == History.Status.FAILED) {
                    failed++;
                } else if (e.status() == History.Status.PENDING && !e.op().isWrite()) {
                    pendingGets++;
                }
            }
            sb.append(violation ? "NOT LINEARIZABLE" : "UNDECIDED (step budget " + budget + " exhausted)")
                    .append(": key \"").append(key).append("\" (").append(m).append(" completed, ")
                    .append(n - m).append(" pending write(s); ignored: ").append(pendingGets)
                    .append(" pending GET(s), ").append(failed).append(" failed op(s); ")
                    .append(steps).append(" search steps)\n");
            sb.append("Longest linearizable prefix found: ").append(bestDepth).append(" of ").append(m)
                    .append(" completed operations; value of \"").append(key).append("\" after it: ")
                    .append(show(bestState)).append('\n');
            if (!bestTail.isEmpty()) {
                sb.append("Last operations of that prefix (oldest first):\n");
                for (Move mv : bestTail) {
                    for (int p : mv.chain) {
                        sb.append("    ").append(ent[p].describe()).append("   (pending, taken to have taken effect)\n");
                    }
                    sb.append("    ").append(ent[mv.op].describe()).append("   => value ")
                            .append(Objects.equals(mv.after, garbage) ? ent[mv.op].op().value() + " (never read)" : show(mv.after))
                            .append('\n');
                }
            }
            if (violation) {
                sb.append("None of the operations that may come next is possible from value ")
                        .append(show(bestState)).append(":\n");
            } else {
                sb.append("Operations that may come next after that prefix:\n");
            }
            for (int op : bestWindow) {
                sb.append("    ").append(ent[op].describe());
                if (!legal(op, bestState)) {
                    sb.append("   <- ").append(why(op, bestState));
                }
                if (op == bestBlocking) {
                    sb.append("   [its return ends the window]");
                }
                sb.append('\n');
            }
            if (n > m) {
                sb.append("(pending writes were considered as possibly taking effect; none could fix this)\n");
            }
            appendInvolved(sb);
            return sb.toString();
        }

        String why(int op, Long s) {
            History.Entry e = ent[op];
            switch (e.op().kind()) {
                case GET:
                    return "GET returned " + show((Long) e.result()) + " but the value is " + show(s);
                case CAS:
                    return (Boolean) e.result()
                            ? "CAS succeeded but the value is " + show(s) + ", not " + show(e.op().expected())
                            : "CAS failed but the value equals expected " + show(s);
                default:
                    return "";
            }
        }

        String show(Long v) {
            return v == null ? "absent" : v.equals(garbage) ? "a value nobody reads" : v.toString();
        }

        void appendInvolved(StringBuilder sb) {
            long lo = Long.MAX_VALUE;
            long hi = Long.MIN_VALUE;
            for (Move mv : bestTail) {
                lo = Math.min(lo, ent[mv.op].invokeTime());
            }
            for (int op : bestWindow) {
                lo = Math.min(lo, ent[op].invokeTime());
                hi = Math.max(hi, ent[op].returnTime());
            }
            if (lo == Long.MAX_VALUE) {
                return;
            }
            List<History.Entry> involved = new ArrayList<>();
            for (History.Entry e : all) {
                if (e.invokeTime() <= hi && e.returnTime() >= lo) {
                    involved.add(e);
                }
            }
            appendList(sb, involved, lo, hi);
        }

        void appendList(StringBuilder sb, List<History.Entry> involved, long lo, long hi) {
            involved.sort(Comparator.comparingLong(History.Entry::invokeTime).thenComparingInt(History.Entry::id));
            sb.append("Operations on \"").append(key).append("\" overlapping ticks [").append(lo).append(", ")
                    .append(hi).append("] (").append(involved.size()).append("):\n");
            int shown = 0;
            for (History.Entry e : involved) {
                if (shown++ == MAX_LISTED) {
                    sb.append("    ... ").append(involved.size() - MAX_LISTED).append(" more\n");
                    break;
                }
                sb.append("    ").append(e.describe()).append('\n');
            }
        }
    }

    /** Open-addressing set of 128-bit fingerprints. */
    static final class FingerprintSet {
        private long[] a = new long[1 << 12];
        private long[] b = new long[1 << 12];
        private boolean[] used = new boolean[1 << 12];
        private int size;

        /** Adds the fingerprint; returns false if it was already present. */
        boolean add(long x, long y) {
            if ((size + 1) * 2 > used.length) {
                grow();
            }
            return insert(x, y);
        }

        private boolean insert(long x, long y) {
            int mask = used.length - 1;
            int i = (int) (x ^ (x >>> 32)) & mask;
            while (used[i]) {
                if (a[i] == x && b[i] == y) {
                    return false;
                }
                i = (i + 1) & mask;
            }
            used[i] = true;
            a[i] = x;
            b[i] = y;
            size++;
            return true;
        }

        private void grow() {
            long[] oa = a;
            long[] ob = b;
            boolean[] ou = used;
            a = new long[oa.length * 2];
            b = new long[ob.length * 2];
            used = new boolean[ou.length * 2];
            size = 0;
            for (int i = 0; i < ou.length; i++) {
                if (ou[i]) {
                    insert(oa[i], ob[i]);
                }
            }
        }
    }
}
