package psr.consensus.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The in-memory log: entries with op-numbers 1 to {@link #lastOp()}, without gaps. */
final class ReplicaLog {
    private final ArrayList<LogEntry> entries = new ArrayList<>();

    long lastOp() {
        return entries.size();
    }

    LogEntry get(long op) {
        if (op < 1 || op > entries.size()) throw new IndexOutOfBoundsException("op " + op + " not in log 1.." + entries.size());
        return entries.get((int) (op - 1));
    }

    void append(LogEntry entry) {
        if (entry.op() != lastOp() + 1) {
            throw new IllegalArgumentException("append of op " + entry.op() + " after op " + lastOp());
        }
        entries.add(entry);
    }

    void truncateAfter(long op) {
        while (entries.size() > op) entries.remove(entries.size() - 1);
    }

    /** The entries with op-numbers in {@code (afterOp, lastOp]}, as an unmodifiable copy. */
    List<LogEntry> after(long afterOp) {
        int from = (int) Math.min(Math.max(afterOp, 0), entries.size());
        return Collections.unmodifiableList(new ArrayList<>(entries.subList(from, entries.size())));
    }

    void replace(List<LogEntry> log) {
        entries.clear();
        for (LogEntry e : log) append(e);
    }
}
