package psr.consensus.lin;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A concurrent client history of the key-value model, as observed by the clients.
 *
 * <p>Each operation is {@linkplain #invoke invoked} by a client at some time and then either
 * <ul>
 *   <li>{@linkplain #ok completed}: the client saw its result at a return time;</li>
 *   <li>{@linkplain #failed failed}: the system told the client for sure it was NOT executed
 *       (e.g. NotPrimary); such operations are ignored by the checker;</li>
 *   <li>left pending (optionally marked with {@link #unknown}): the client timed out or never heard
 *       back. It may or may not have taken effect, at any point after its invocation; its result is
 *       unconstrained.</li>
 * </ul>
 * Times are simulated ticks. Operation A precedes operation B iff {@code A.returnTime < B.invokeTime}.
 *
 * <p>Methods are synchronized so a history may be fed from several threads, but the deterministic
 * simulator is expected to use it from one thread.
 */
public final class History {

    /** What became of an operation. */
    public enum Status { PENDING, OK, FAILED }

    /** Return time of an operation whose answer was never seen. */
    public static final long INFINITY = Long.MAX_VALUE;

    /** One recorded operation; immutable snapshot as returned by {@link History#entries()}. */
    public record Entry(int id, long clientId, Op op, long invokeTime, long returnTime, Status status,
                        Object result) {

        public boolean isPending() {
            return status == Status.PENDING;
        }

        /** Human-readable line, e.g. {@code #7 client 3 CAS(k, 1 -> 2) -> true [invoke 10, return 25]}. */
        public String describe() {
            StringBuilder sb = new StringBuilder();
            sb.append('#').append(id).append(" client ").append(clientId).append(' ').append(op);
            switch (status) {
                case OK:
                    sb.append(" -> ").append(op.kind() == Op.Kind.PUT ? "ok" : String.valueOf(result));
                    sb.append(" [invoke ").append(invokeTime).append(", return ").append(returnTime).append(']');
                    break;
                case FAILED:
                    sb.append(" -> FAILED (not executed) [invoke ").append(invokeTime)
                            .append(", return ").append(returnTime).append(']');
                    break;
                default:
                    sb.append(" -> ? [invoke ").append(invokeTime).append(", pending: may take effect any time after]");
            }
            return sb.toString();
        }

        @Override
        public String toString() {
            return describe();
        }
    }

    private static final class Rec {
        final long clientId;
        final Op op;
        final long invokeTime;
        long returnTime = INFINITY;
        Status status = Status.PENDING;
        Object result;

        Rec(long clientId, Op op, long invokeTime) {
            this.clientId = clientId;
            this.op = op;
            this.invokeTime = invokeTime;
        }
    }

    private final List<Rec> recs = new ArrayList<>();

    /** Records the invocation of {@code op} by {@code clientId} at {@code time}; returns its id. */
    public synchronized int invoke(long clientId, long time, Op op) {
        Objects.requireNonNull(op, "op");
        if (time == INFINITY) {
            throw new IllegalArgumentException("invoke time must be finite");
        }
        recs.add(new Rec(clientId, op, time));
        return recs.size() - 1;
    }

    /**
     * Records that the client saw the answer of operation {@code id} at {@code time}.
     *
     * @param result PUT: ignored (may be null); CAS: {@link Boolean}; GET: the value read as a
     *               {@link Long} (any integral {@link Number} is accepted) or {@code null} if absent
     */
    public synchronized void ok(int id, long time, Object result) {
        Rec r = pendingRec(id, time);
        Object normalized;
        switch (r.op.kind()) {
            case PUT:
                normalized = null;
                break;
            case CAS:
                if (!(result instanceof Boolean)) {
                    throw new IllegalArgumentException("CAS result must be a Boolean, got " + result + " for #" + id);
                }
                normalized = result;
                break;
            default:
                if (result == null) {
                    normalized = null;
                } else if (result instanceof Long || result instanceof Integer || result instanceof Short
                        || result instanceof Byte) {
                    normalized = ((Number) result).longValue();
                } else {
                    throw new IllegalArgumentException("GET result must be a Long or null, got "
                            + result.getClass().getSimpleName() + " " + result + " for #" + id);
                }
        }
        r.returnTime = time;
        r.status = Status.OK;
        r.result = normalized;
    }

    /** Shorthand for a completed PUT (or any operation whose result is irrelevant: PUT). */
    public synchronized void ok(int id, long time) {
        ok(id, time, null);
    }

    /** Records that the system told the client, at {@code time}, that operation {@code id} was NOT executed. */
    public synchronized void failed(int id, long time) {
        Rec r = pendingRec(id, time);
        r.returnTime = time;
        r.status = Status.FAILED;
    }

    /**
     * Marks operation {@code id} as having no known outcome (timeout). This is the default for an operation
     * that is never completed, so calling it is optional; it only checks that the operation is still pending.
     */
    public synchronized void unknown(int id) {
        Rec r = rec(id);
        if (r.status != Status.PENDING) {
            throw new IllegalStateException("operation #" + id + " already " + r.status);
        }
    }

    /** Number of recorded operations. */
    public synchronized int size() {
        return recs.size();
    }

    /** Snapshot of operation {@code id}. */
    public synchronized Entry entry(int id) {
        return snapshot(id, rec(id));
    }

    /** Snapshot of all operations, in invocation-recording order (index == id). */
    public synchronized List<Entry> entries() {
        List<Entry> out = new ArrayList<>(recs.size());
        for (int i = 0; i < recs.size(); i++) {
            out.add(snapshot(i, recs.get(i)));
        }
        return Collections.unmodifiableList(out);
    }

    @Override
    public synchronized String toString() {
        StringBuilder sb = new StringBuilder("History[").append(recs.size()).append(" ops]");
        for (int i = 0; i < recs.size(); i++) {
            sb.append("\n  ").append(snapshot(i, recs.get(i)).describe());
        }
        return sb.toString();
    }

    private static Entry snapshot(int id, Rec r) {
        return new Entry(id, r.clientId, r.op, r.invokeTime, r.returnTime, r.status, r.result);
    }

    private Rec rec(int id) {
        if (id < 0 || id >= recs.size()) {
            throw new IllegalArgumentException("no operation #" + id);
        }
        return recs.get(id);
    }

    private Rec pendingRec(int id, long time) {
        Rec r = rec(id);
        if (r.status != Status.PENDING) {
            throw new IllegalStateException("operation #" + id + " already " + r.status);
        }
        if (time < r.invokeTime || time == INFINITY) {
            throw new IllegalArgumentException("return time " + time + " of #" + id
                    + " is before its invoke time " + r.invokeTime + " or infinite");
        }
        return r;
    }
}
