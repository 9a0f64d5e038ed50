package psr.consensus.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The in-memory log: entries with op-numbers {@link #base()} + 1 to {@link #lastOp()}, without gaps.
 * Everything up to the base is in the latest checkpoint, not here.
 */
final class ReplicaLog {
    private final ArrayList<LogEntry> entries = new ArrayList<>();
    private long base;
    /** The checksum of the entry at the base: {@link LogEntry#ROOT} for base 0, else the checkpoint's. */
    private long baseChecksum = LogEntry.ROOT;

    long base() {
        return base;
    }

    /** The checksum of the entry at {@code op}, from the base (the checkpoint's) to the last op. */
    long checksumAt(long op) {
        return op == base ? baseChecksum : get(op).checksum();
    }

    long lastChecksum() {
        return checksumAt(lastOp());
    }

    /** True when {@code op} lies in the log or is its base, so that {@link #checksumAt} knows it. */
    boolean knows(long op) {
        return op >= base && op <= lastOp();
    }

    long lastOp() {
        return base + entries.size();
    }

    LogEntry get(long op) {
        if (op <= base || op > lastOp()) throw new IndexOutOfBoundsException("op " + op + " not in log " + (base + 1) + ".." + lastOp());
        return entries.get((int) (op - base - 1));
    }

    void append(LogEntry entry) {
        if (!entry.follows(lastOp(), lastChecksum())) {
            throw new IllegalArgumentException("append of op " + entry.op() + " after op " + lastOp() + " that does not follow it (parent "
                    + Long.toHexString(entry.parent()) + ", last checksum " + Long.toHexString(lastChecksum()) + ")");
        }
        entries.add(entry);
    }

    void truncateAfter(long op) {
        if (op < base) throw new IllegalArgumentException("truncate after op " + op + " below the checkpoint at " + base);
        while (lastOp() > op) entries.remove(entries.size() - 1);
    }

    /** The entries with op-numbers in {@code (afterOp, lastOp]}, as an unmodifiable copy; afterOp must be at least the base. */
    List<LogEntry> after(long afterOp) {
        if (afterOp < base) throw new IllegalArgumentException("entries after op " + afterOp + " asked, but the log starts after " + base);
        int from = (int) Math.min(afterOp - base, entries.size());
        return Collections.unmodifiableList(new ArrayList<>(entries.subList(from, entries.size())));
    }

    /** Keeps the entries up to {@code keepUpTo} (at least the base) and appends {@code suffix}, skipping its entries at or below the base. */
    void replaceAfter(long keepUpTo, List<LogEntry> suffix) {
        truncateAfter(Math.max(keepUpTo, base));
        for (LogEntry e : suffix) {
            if (e.op() <= lastOp()) continue; // at or below what we keep (committed, or in the checkpoint)
            append(e);
        }
    }

    /** Starts over from a checkpoint at {@code newBase} whose last entry has {@code newBaseChecksum}, followed by {@code suffix}. */
    void resetTo(long newBase, long newBaseChecksum, List<LogEntry> suffix) {
        entries.clear();
        base = newBase;
        baseChecksum = newBaseChecksum;
        for (LogEntry e : suffix) append(e);
    }

    /** Forgets the entries up to {@code op}, which a checkpoint now holds. */
    void compactTo(long op) {
        if (op <= base) return;
        if (op > lastOp()) throw new IllegalArgumentException("compact to op " + op + " beyond the log's last op " + lastOp());
        baseChecksum = get(op).checksum();
        entries.subList(0, (int) (op - base)).clear();
        base = op;
    }
}
