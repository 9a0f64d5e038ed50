package psr.consensus.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import psr.api.osal.DurableStorage;
import psr.consensus.core.Checkpoint;
import psr.consensus.core.Effects;
import psr.consensus.core.LogEntry;

/**
 * A replica's durable state (view state and log) in a {@link DurableStorage}, in the format described in
 * {@code FORMAT.md} beside this class. Every record carries a CRC-32C; loading detects a torn tail (an
 * unsynced append cut short by a crash, dropped) and corruption (a complete record whose checksum or
 * sequence is wrong, reported so that the replica recovers from its peers instead of trusting it).
 *
 * <p>Not thread-safe: the replica's event loop owns it. Every method may block on the device.
 */
public final class ReplicaStore {
    static final String VIEW_FILE = "view";
    static final String LOG_FILE = "log";
    static final String CHECKPOINT_FILE = "checkpoint";
    /** The log that goes with a checkpoint being installed, written before the checkpoint (see installCheckpoint). */
    public static final String NEXT_LOG_FILE = "log-next";
    /** log-next starts with the checkpoint's op and checksum (8 + 8) and a CRC-32C of those 16 bytes. */
    static final int NEXT_LOG_HEADER_BYTES = 20;
    static final int CHECKPOINT_MAGIC = 0x50535243; // "PSRC"
    static final int VIEW_MAGIC = 0x50535256; // "PSRV"
    static final int VIEW_FORMAT = 2; // 2: checkpoints carry their last entry's checksum; log records their parent and commit
    static final int VIEW_RECORD_BYTES = 4 + 4 + 8 + 8 + 4;
    static final int LOG_HEADER_BYTES = 12;
    static final int ENTRY_FIXED_BYTES = 8 * 6 + 4;
    /** The largest log record accepted when reading; anything larger is corruption, not a reason to allocate. */
    public static final int MAX_RECORD_BYTES = 16 * 1024 * 1024;

    /**
     * What was found on disk: the log holds the operations after the checkpoint (null when there is none), and
     * {@code commit} is the highest commit-number the replica had persisted (at least the checkpoint's op): every
     * operation up to it is committed, so a restart applies them at once.
     */
    public record Loaded(boolean empty, long view, long lastNormalView, Checkpoint checkpoint, List<LogEntry> log,
            long commit, boolean corrupt, String problem, long tornBytesDropped) {

        /** The last op-number on disk. */
        public long lastOp() {
            return (checkpoint == null ? 0 : checkpoint.op()) + log.size();
        }
    }

    private final DurableStorage storage;
    /** Byte offset of each log record: offsets.get(i) is where op firstOp + i starts. */
    private final ArrayList<Long> offsets = new ArrayList<>();
    private long firstOp = 1;
    private long logLength;
    private boolean logDirty;
    /** The first storage failure of this store, or null: after it, nothing is reported durable (see apply). */
    private String failure;

    public ReplicaStore(DurableStorage storage) {
        this.storage = storage;
    }

    /** Reads the view state and log. A torn tail is cut off durably; corruption is reported, not repaired. */
    public Loaded load() throws IOException {
        offsets.clear();
        logLength = 0;
        firstOp = 1;
        byte[] viewBytes = storage.read(VIEW_FILE);
        byte[] logBytes = storage.read(LOG_FILE);
        byte[] checkpointBytes = storage.read(CHECKPOINT_FILE);
        byte[] nextLogBytes = storage.read(NEXT_LOG_FILE);
        if (viewBytes == null && logBytes == null && checkpointBytes == null) return new Loaded(true, 0, 0, null, List.of(), 0, false, "", 0);
        if (viewBytes == null) return corrupt("log present but view state missing");
        ByteBuffer v = ByteBuffer.wrap(viewBytes);
        if (viewBytes.length != VIEW_RECORD_BYTES || v.getInt() != VIEW_MAGIC || v.getInt() != VIEW_FORMAT
                || crc(viewBytes, 0, VIEW_RECORD_BYTES - 4) != ByteBuffer.wrap(viewBytes, VIEW_RECORD_BYTES - 4, 4).getInt()) {
            return corrupt("view state record corrupt (" + viewBytes.length + " bytes)");
        }
        long view = v.getLong();
        long lastNormalView = v.getLong();
        if (view < 0 || lastNormalView < 0 || lastNormalView > view) {
            return corrupt("view state impossible: view " + view + ", last normal " + lastNormalView);
        }
        Checkpoint checkpoint = null;
        if (checkpointBytes != null) {
            checkpoint = decodeCheckpoint(checkpointBytes);
            if (checkpoint == null) return corrupt("checkpoint record corrupt (" + checkpointBytes.length + " bytes)");
        }
        long base = checkpoint == null ? 0 : checkpoint.op();
        if (nextLogBytes != null) {
            // A checkpoint install was cut short. If its checkpoint was written, its log is the log; if not, the old
            // checkpoint and log stand and the next log is forgotten.
            if (nextLogBytes.length < NEXT_LOG_HEADER_BYTES
                    || crc(nextLogBytes, 0, 16) != ByteBuffer.wrap(nextLogBytes, 16, 4).getInt()) {
                return corrupt("log-next header corrupt (" + nextLogBytes.length + " bytes)");
            }
            ByteBuffer h = ByteBuffer.wrap(nextLogBytes);
            boolean installed = checkpoint != null && h.getLong() == checkpoint.op() && h.getLong() == checkpoint.checksum();
            if (installed) logBytes = java.util.Arrays.copyOfRange(nextLogBytes, NEXT_LOG_HEADER_BYTES, nextLogBytes.length);
        }
        List<LogEntry> log = new ArrayList<>();
        long expectedOp = -1; // the first record fixes where the file starts
        long previousChecksum = 0; // of the record before, once there is one
        long commit = base;
        if (logBytes == null) logBytes = new byte[0];
        int pos = 0;
        String problem = "";
        boolean corrupt = false;
        while (pos < logBytes.length) {
            if (logBytes.length - pos < LOG_HEADER_BYTES) break; // torn header
            ByteBuffer h = ByteBuffer.wrap(logBytes, pos, LOG_HEADER_BYTES);
            int length = h.getInt();
            int checksum = h.getInt();
            int headerChecksum = h.getInt();
            // A crash keeps a prefix of what was appended, so a complete header is exactly what was written:
            // if its own checksum fails, the disk changed it.
            if (crc(logBytes, pos, 8) != headerChecksum) {
                corrupt = true;
                problem = "log record header at byte " + pos + " (op " + (log.size() + 1) + ") fails its CRC-32C";
                break;
            }
            if (length < ENTRY_FIXED_BYTES || length > MAX_RECORD_BYTES) {
                corrupt = true;
                problem = "log record at byte " + pos + " has impossible length " + length;
                break;
            }
            if (logBytes.length - pos - LOG_HEADER_BYTES < length) break; // torn payload
            int payload = pos + LOG_HEADER_BYTES;
            if (crc(logBytes, payload, length) != checksum) {
                corrupt = true;
                problem = "log record at byte " + pos + " (op " + (log.size() + 1) + ") fails its CRC-32C";
                break;
            }
            ByteBuffer payloadBuffer = ByteBuffer.wrap(logBytes, payload, length);
            LogEntry entry = decodeEntry(payloadBuffer, length);
            long recordCommit = entry == null ? -1 : payloadBuffer.getLong();
            if (expectedOp < 0 && entry != null) expectedOp = entry.op();
            if (entry == null || recordCommit < 0 || entry.op() != expectedOp || entry.op() > base + 1 && log.isEmpty()) {
                corrupt = true;
                problem = "log record at byte " + pos + " is not op " + (entry == null ? "?" : expectedOp) + " (the log must continue the checkpoint at op " + base + ")";
                break;
            }
            // The hash chain: a record that does not name the one before it (or the checkpoint's last entry) as its
            // parent was lost, misdirected or written over, even though its own checksums hold.
            boolean chained = entry.op() == base + 1 ? entry.parent() == (checkpoint == null ? LogEntry.ROOT : checkpoint.checksum())
                    : entry.op() <= base || entry.parent() == previousChecksum;
            if (!chained) {
                corrupt = true;
                problem = "log record at byte " + pos + " (op " + entry.op() + ") does not follow the record before it (parent checksum differs)";
                break;
            }
            previousChecksum = entry.checksum();
            commit = Math.max(commit, recordCommit);
            expectedOp++;
            if (entry.op() > base) { // records the checkpoint already holds (a crash before the log was rewritten) are skipped
                if (log.isEmpty()) firstOp = entry.op();
                log.add(entry);
                offsets.add((long) pos);
            }
            pos += LOG_HEADER_BYTES + length;
        }
        long torn = corrupt ? 0 : logBytes.length - pos;
        if (log.isEmpty()) firstOp = base + 1;
        if (!corrupt) {
            // Write back what we trust, durably, before anything depends on it: the records the checkpoint does not
            // hold (so that appends continue them without a gap) without the torn tail, and the view state and
            // checkpoint as read. What we read may be only in the page cache: after a failed fsync a later read
            // still returns bytes that never reached the disk, and a later fsync reports success without writing
            // them. A rewrite through replace() makes them durable or fails loudly.
            long start = offsets.isEmpty() ? pos : offsets.get(0);
            storage.replace(LOG_FILE, java.util.Arrays.copyOfRange(logBytes, (int) start, pos));
            for (int i = 0; i < offsets.size(); i++) offsets.set(i, offsets.get(i) - start);
            logLength = pos - start;
            storage.replace(VIEW_FILE, viewBytes);
            if (checkpointBytes != null) storage.replace(CHECKPOINT_FILE, checkpointBytes);
            if (nextLogBytes != null) storage.delete(NEXT_LOG_FILE);
        } else {
            logLength = pos;
        }
        logDirty = false;
        failure = null;
        commit = Math.min(commit, base + log.size());
        return new Loaded(false, view, lastNormalView, checkpoint, log, commit, corrupt, problem, torn);
    }

    private static Loaded corrupt(String problem) {
        return new Loaded(false, 0, 0, null, List.of(), 0, true, problem, 0);
    }

    /**
     * Carries out a batch of persistence effects; durable when it returns if {@code sync}. Once any storage call
     * failed, every later batch fails too: after a failed fsync the device may have dropped the data while a retry
     * reports success, so this store never reports anything durable again. The replica must stop; a restart loads
     * the disk afresh (and rewrites what it trusts).
     */
    public void apply(List<Effects.PersistOp> ops, boolean sync) throws IOException {
        if (failure != null) {
            throw new IOException("storage failed earlier (" + failure + "); nothing more is reported durable until the replica restarts");
        }
        try {
            applyOps(ops, sync);
        } catch (IOException | RuntimeException e) {
            failure = e.toString();
            throw e;
        }
    }

    private void applyOps(List<Effects.PersistOp> ops, boolean sync) throws IOException {
        for (Effects.PersistOp op : ops) {
            if (op instanceof Effects.AppendEntries a) {
                append(a.entries(), a.commit());
            } else if (op instanceof Effects.TruncateAfter t) {
                truncateAfter(t.op());
            } else if (op instanceof Effects.ReplaceLog r) {
                replaceLog(r.entries(), r.commit());
            } else if (op instanceof Effects.SaveViewState v) {
                saveViewState(v.view(), v.lastNormalView());
            } else if (op instanceof Effects.InstallCheckpoint c) {
                installCheckpoint(c.checkpoint(), c.logAfter(), c.commit());
            }
        }
        if (sync) sync();
    }

    /** Removes everything: the replica starts over (it must then recover from its peers). */
    public void wipe() throws IOException {
        storage.delete(LOG_FILE);
        storage.delete(VIEW_FILE);
        storage.delete(CHECKPOINT_FILE);
        storage.delete(NEXT_LOG_FILE);
        offsets.clear();
        firstOp = 1;
        logLength = 0;
        logDirty = false;
        failure = null;
    }

    private void append(List<LogEntry> entries, long commit) throws IOException {
        for (LogEntry e : entries) {
            if (e.op() != firstOp + offsets.size()) {
                throw new IllegalStateException("persisted log ends at op " + (firstOp + offsets.size() - 1) + ", cannot append op " + e.op());
            }
            byte[] record = encodeRecord(e, commit);
            storage.append(LOG_FILE, record, 0, record.length);
            offsets.add(logLength);
            logLength += record.length;
        }
        logDirty = true;
    }

    private void truncateAfter(long op) throws IOException {
        long keep = op - firstOp + 1; // records to keep
        if (keep >= offsets.size()) return;
        if (keep < 0) throw new IllegalStateException("truncate after op " + op + " below the persisted log's start " + firstOp);
        long cut = offsets.get((int) keep);
        sync(); // appends before the cut must not reappear after it
        storage.truncate(LOG_FILE, cut);
        while (offsets.size() > keep) offsets.remove(offsets.size() - 1);
        logLength = cut;
    }

    private void installCheckpoint(Checkpoint checkpoint, List<LogEntry> logAfter, long commit) throws IOException {
        // Three steps, each atomic: the log that goes with the checkpoint (naming it), the checkpoint, the log. A crash
        // after the first leaves the old checkpoint and log (loading forgets the next log); after the second, loading
        // finds the checkpoint the next log names and takes that log (the old one may hold records of a history the
        // checkpoint replaced, which do not chain onto it).
        sync();
        java.io.ByteArrayOutputStream next = new java.io.ByteArrayOutputStream();
        byte[] header = ByteBuffer.allocate(NEXT_LOG_HEADER_BYTES).putLong(checkpoint.op()).putLong(checkpoint.checksum()).array();
        ByteBuffer.wrap(header).putInt(16, crc(header, 0, 16));
        next.write(header, 0, header.length);
        for (LogEntry e : logAfter) {
            byte[] record = encodeRecord(e, commit);
            next.write(record, 0, record.length);
        }
        storage.replace(NEXT_LOG_FILE, next.toByteArray());
        storage.replace(CHECKPOINT_FILE, encodeCheckpoint(checkpoint));
        replaceLog(logAfter, checkpoint.op() + 1, commit);
        storage.delete(NEXT_LOG_FILE);
    }

    private void replaceLog(List<LogEntry> entries, long commit) throws IOException {
        replaceLog(entries, entries.isEmpty() ? firstOp : entries.get(0).op(), commit);
    }

    private void replaceLog(List<LogEntry> entries, long startOp, long commit) throws IOException {
        offsets.clear();
        firstOp = startOp;
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long length = 0;
        for (LogEntry e : entries) {
            byte[] record = encodeRecord(e, commit);
            offsets.add(length);
            length += record.length;
            out.write(record, 0, record.length);
        }
        storage.replace(LOG_FILE, out.toByteArray());
        logLength = length;
        logDirty = false;
    }

    private void saveViewState(long view, long lastNormalView) throws IOException {
        // The log must be durable first: a view state claiming a new last normal view over a log whose
        // suffix could still vanish is exactly the state that loses committed operations.
        sync();
        ByteBuffer b = ByteBuffer.allocate(VIEW_RECORD_BYTES);
        b.putInt(VIEW_MAGIC).putInt(VIEW_FORMAT).putLong(view).putLong(lastNormalView);
        b.putInt(crc(b.array(), 0, VIEW_RECORD_BYTES - 4));
        storage.replace(VIEW_FILE, b.array());
    }

    private void sync() throws IOException {
        if (logDirty) {
            storage.sync(LOG_FILE);
            logDirty = false;
        }
    }

    /** A log record of {@code e}, written when the replica's commit-number was {@code commit}. */
    static byte[] encodeRecord(LogEntry e, long commit) {
        int length = ENTRY_FIXED_BYTES + e.command().length;
        ByteBuffer b = ByteBuffer.allocate(LOG_HEADER_BYTES + length);
        b.putInt(length).putInt(0).putInt(0);
        b.putLong(e.view()).putLong(e.op()).putLong(e.parent()).putLong(e.clientId()).putLong(e.requestNumber());
        b.putInt(e.command().length).put(e.command()).putLong(commit);
        b.putInt(4, crc(b.array(), LOG_HEADER_BYTES, length));
        b.putInt(8, crc(b.array(), 0, 8));
        return b.array();
    }

    /** The entry of a record's payload, leaving {@code b} at the record's commit-number; null if impossible. */
    private static LogEntry decodeEntry(ByteBuffer b, int length) {
        long view = b.getLong();
        long op = b.getLong();
        long parent = b.getLong();
        long clientId = b.getLong();
        long requestNumber = b.getLong();
        int commandLength = b.getInt();
        if (commandLength != length - ENTRY_FIXED_BYTES || view < 0 || op < 1 || clientId == 0 || requestNumber < 0) return null;
        byte[] command = new byte[commandLength];
        b.get(command);
        return new LogEntry(view, op, parent, clientId, requestNumber, command);
    }

    static byte[] encodeCheckpoint(Checkpoint c) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 + 8 + 8 + 4 + c.state().length + 4);
        b.putInt(CHECKPOINT_MAGIC).putInt(VIEW_FORMAT).putLong(c.op()).putLong(c.checksum()).putInt(c.state().length).put(c.state());
        b.putInt(crc(b.array(), 0, b.capacity() - 4));
        return b.array();
    }

    static Checkpoint decodeCheckpoint(byte[] bytes) {
        if (bytes.length < 32) return null;
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (b.getInt() != CHECKPOINT_MAGIC || b.getInt() != VIEW_FORMAT) return null;
        if (crc(bytes, 0, bytes.length - 4) != ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt()) return null;
        long op = b.getLong();
        long checksum = b.getLong();
        int length = b.getInt();
        if (op < 1 || length != bytes.length - 32) return null;
        byte[] state = new byte[length];
        b.get(state);
        return new Checkpoint(op, checksum, state);
    }

    static int crc(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length);
        return (int) crc.getValue();
    }
}
