package psr.consensus.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the simulator's clients asked and saw: for each operation its client, invocation tick, and either
 * the answer with its tick, a definite failure (not executed), or nothing (unknown: it may or may not have
 * taken effect). Checked for linearizability by {@code psr.consensus.lin}.
 */
public final class History {

    public enum Kind { PUT, CAS, GET }

    /** One operation on one key; {@code expected == null} for CAS means "key absent". */
    public record Op(Kind kind, String key, Long expected, long value) {
        public static Op put(String key, long value) { return new Op(Kind.PUT, key, null, value); }
        public static Op cas(String key, Long expected, long value) { return new Op(Kind.CAS, key, expected, value); }
        public static Op get(String key) { return new Op(Kind.GET, key, null, 0); }
    }

    /** One client operation; {@code returnTick == -1} while unanswered. */
    public static final class Entry {
        public final long clientId;
        public final long invokeTick;
        public final Op op;
        public long returnTick = -1;
        public Object result;
        public boolean failed;

        Entry(long clientId, long invokeTick, Op op) {
            this.clientId = clientId;
            this.invokeTick = invokeTick;
            this.op = op;
        }
    }

    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, Long> lastValue = new HashMap<>();
    private long completedOk;

    public int invoke(long clientId, long tick, Op op) {
        entries.add(new Entry(clientId, tick, op));
        return entries.size() - 1;
    }

    public void ok(int id, long tick, Object result) {
        Entry e = entries.get(id);
        e.returnTick = tick;
        e.result = result;
        completedOk++;
        if (e.op.kind() == Kind.GET && result != null) lastValue.put(e.op.key(), (Long) result);
        if (e.op.kind() == Kind.PUT || e.op.kind() == Kind.CAS && Boolean.TRUE.equals(result)) lastValue.put(e.op.key(), e.op.value());
    }

    public void failed(int id, long tick) {
        Entry e = entries.get(id);
        e.returnTick = tick;
        e.failed = true;
    }

    public Op op(int id) {
        return entries.get(id).op;
    }

    /** A value some client recently read or wrote for {@code key}, to make compare-and-set succeed now and then. */
    public Long lastReadOrWritten(String key) {
        return lastValue.get(key);
    }

    public long completedOk() {
        return completedOk;
    }

    public List<Entry> entries() {
        return entries;
    }
}
