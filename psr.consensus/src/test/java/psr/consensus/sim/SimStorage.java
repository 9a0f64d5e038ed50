package psr.consensus.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import psr.api.osal.DurableStorage;

/**
 * An in-memory {@link DurableStorage} that keeps the synced and the unsynced bytes of each file apart, so
 * that a simulated crash can lose the unsynced ones or tear them, and that injects storage faults.
 *
 * <p>Faults within the {@link DurableStorage} contract (a correct store must survive them):
 * <ul>
 * <li>a crash ({@link #crash(Random, CrashKind)}): power loss drops the unsynced bytes, a torn crash keeps a
 * random prefix of them, a process crash keeps them all (the operating system still had them);</li>
 * <li>a crash in the middle of a call ({@link #crashAtCall}): the call throws {@link CrashPoint} after a
 * partial effect: an append wrote a prefix, a sync made a prefix durable, a replace, truncate or delete left
 * the old or the new state (they are atomic);</li>
 * <li>a failed write or fsync ({@link #failNextWrite}, {@link #failNextSync}) and a full disk
 * ({@link #setFull}): the call throws {@link IOException};</li>
 * </ul>
 * Faults that destroy durable data, each detectable by the checksums of {@code ReplicaStore} (tracked as
 * damage, {@link #damaged()}): a lost write that never landed (zeros where it should be, the file's size
 * as written), a misdirected write (zeros where it should be, the bytes over another place of this or another
 * file), and bit flips of synced bytes of any file ({@link #corrupt}).
 *
 * <p>Faults a store cannot detect by design, off unless a test asks ({@link #lieOnNextSyncs}: fsync reports
 * success but the bytes stay volatile, so whole records vanish in a power loss; {@link #loseNextReplaceSilently}:
 * a replace reports success but the old content is what survives), and one outside the contract
 * ({@link #setNonAtomicReplace}: replace, truncate and delete are neither atomic nor durable until the file's
 * next sync; a crash before it leaves the old content, the new one, or a torn mix).
 */
public final class SimStorage implements DurableStorage {

    /** What a crash does to bytes that were appended but not synced. */
    public enum CrashKind {
        /** Power loss: every unsynced byte is lost. */
        POWER_LOSS,
        /** Power loss in the middle of writing: a random prefix of the unsynced bytes survives. */
        TORN,
        /** The process died, the machine did not: every written byte survives. */
        PROCESS
    }

    /** Thrown from inside a storage call at an armed crash point; the node must be treated as crashed. */
    public static final class CrashPoint extends RuntimeException {
        CrashPoint(String where) {
            super("simulated crash in the middle of " + where, null, false, false);
        }
    }

    /**
     * A file's bytes: the first {@code syncedLength} are durable, the rest may vanish in a crash. Once a
     * destructive fault touches it, {@code intended} keeps what the file would hold without faults, so that
     * damage is known exactly (two flips of one bit cancel; a write of the bytes already there changes nothing).
     */
    private static final class File {
        byte[] data = new byte[64];
        int length;
        int syncedLength;
        /** What the file would hold without destructive faults; null while it holds exactly that. */
        byte[] intended;

        void write(byte[] src, int offset, int count) {
            ensure(length + count);
            System.arraycopy(src, offset, data, length, count);
            if (intended != null) System.arraycopy(src, offset, intended, length, count);
            length += count;
        }

        /** Appends bytes that never land: zeros on the device, {@code src} intended. */
        void writeLost(byte[] src, int offset, int count) {
            markDamaged();
            ensure(length + count);
            Arrays.fill(data, length, length + count, (byte) 0);
            System.arraycopy(src, offset, intended, length, count);
            length += count;
        }

        /** Before a destructive change of {@code data}: remember what it should be. */
        void markDamaged() {
            if (intended == null) intended = Arrays.copyOf(data, data.length);
        }

        void ensure(int capacity) {
            if (capacity > data.length) {
                int size = Math.max(data.length * 2, capacity);
                data = Arrays.copyOf(data, size);
                if (intended != null) intended = Arrays.copyOf(intended, size);
            }
        }

        void setLength(int newLength) {
            length = newLength;
            syncedLength = Math.min(syncedLength, newLength);
        }

        /** The first offset where the file differs from what it should hold, or -1. */
        int firstDamage() {
            if (intended == null) return -1;
            int at = Arrays.mismatch(data, 0, length, intended, 0, length);
            if (at < 0) intended = null;
            return at;
        }

        byte[] all() {
            return Arrays.copyOf(data, length);
        }

        File copy() {
            File f = new File();
            f.data = Arrays.copyOf(data, Math.max(1, data.length));
            f.intended = intended == null ? null : Arrays.copyOf(intended, intended.length);
            f.length = length;
            f.syncedLength = syncedLength;
            return f;
        }
    }

    /** The durable content of a file whose latest replace, truncate or delete is not durable yet (null: absent). */
    private record Pending(File durable, boolean silent) {}

    private final TreeMap<String, File> files = new TreeMap<>();
    private final TreeMap<String, Pending> pending = new TreeMap<>();
    /** Names already checked against the DurableStorage rule (the regular expression is slow for a simulator). */
    private final java.util.HashSet<String> checkedNames = new java.util.HashSet<>();
    private final Random random;
    private boolean failing;

    // Armed faults.
    private int crashAtCall; // 0: not armed; otherwise the call number (1 = the next call) that crashes
    private boolean failNextWrite;
    private boolean failNextSync;
    private boolean full;
    private boolean loseNextWrite;
    private boolean misdirectNextWrite;
    private int lyingSyncs;
    private boolean loseNextReplaceSilently;
    private boolean nonAtomicReplace;

    public long syncs;
    public long bytesWritten;
    /** How many of each injected fault landed, for the run's summary. */
    public long writeErrors, syncErrors, fullErrors, lostWrites, misdirectedWrites, bitFlips, crashPoints, liedSyncs, silentlyLostReplaces;

    public SimStorage() {
        this(new Random(1));
    }

    public SimStorage(Random random) {
        this.random = random;
    }

    @Override
    public void append(String name, byte[] data, int offset, int length) throws IOException {
        check(name);
        File f = files.computeIfAbsent(name, n -> new File());
        if (crashHere()) {
            f.write(data, offset, random.nextInt(length + 1));
            throw new CrashPoint("an append to " + name);
        }
        writeFaults(length > 0);
        bytesWritten += length;
        if (length > 0 && (loseNextWrite || misdirectNextWrite)) {
            int at = f.length;
            f.writeLost(data, offset, length);
            if (misdirectNextWrite) misdirect(name, data, offset, length, at);
            countDestructive();
            return;
        }
        f.write(data, offset, length);
    }

    @Override
    public void sync(String name) throws IOException {
        check(name);
        File f = files.get(name);
        if (crashHere()) {
            if (f != null) f.syncedLength += random.nextInt(f.length - f.syncedLength + 1);
            throw new CrashPoint("a sync of " + name);
        }
        if (failNextSync) {
            failNextSync = false;
            syncErrors++;
            throw new IOException("simulated fsync error (EIO) on " + name);
        }
        if (f == null) return;
        syncs++;
        if (lyingSyncs > 0) {
            lyingSyncs--;
            liedSyncs++;
            return; // reports success; the bytes stay volatile
        }
        f.syncedLength = f.length;
        Pending p = pending.get(name);
        if (p != null && !p.silent()) pending.remove(name);
    }

    @Override
    public void replace(String name, byte[] content) throws IOException {
        check(name);
        if (crashHere()) {
            if (random.nextBoolean()) doReplace(name, content); // atomic: the old or the new content
            throw new CrashPoint("a replace of " + name);
        }
        writeFaults(content.length > 0);
        bytesWritten += content.length;
        syncs++;
        if (loseNextReplaceSilently) {
            loseNextReplaceSilently = false;
            silentlyLostReplaces++;
            Pending before = pending.get(name);
            pending.put(name, new Pending(before != null ? before.durable() : durableCopy(name), true));
            files.put(name, newFile(content));
            return;
        }
        if (content.length > 0 && (loseNextWrite || misdirectNextWrite)) {
            boolean misdirected = misdirectNextWrite;
            countDestructive();
            notAtomicYet(name);
            File f = new File();
            f.writeLost(content, 0, content.length);
            f.syncedLength = f.length;
            files.put(name, f);
            if (misdirected) misdirect(name, content, 0, content.length, 0);
            return;
        }
        doReplace(name, content);
    }

    private void doReplace(String name, byte[] content) {
        notAtomicYet(name);
        files.put(name, newFile(content));
    }

    private static File newFile(byte[] content) {
        File f = new File();
        f.write(content, 0, content.length);
        f.syncedLength = f.length;
        return f;
    }

    @Override
    public void truncate(String name, long length) throws IOException {
        check(name);
        File f = files.get(name);
        if (crashHere()) {
            if (f != null && random.nextBoolean()) {
                notAtomicYet(name);
                f.setLength((int) Math.min(length, f.length));
                f.syncedLength = f.length;
            }
            throw new CrashPoint("a truncate of " + name);
        }
        writeFaults(false);
        if (f == null) return;
        notAtomicYet(name);
        f.setLength((int) Math.min(length, f.length));
        f.syncedLength = f.length;
        syncs++;
    }

    @Override
    public byte[] read(String name) throws IOException {
        check(name);
        File f = files.get(name);
        return f == null ? null : f.all();
    }

    @Override
    public List<String> list() {
        return new ArrayList<>(files.keySet());
    }

    @Override
    public void delete(String name) throws IOException {
        check(name);
        if (crashHere()) {
            if (random.nextBoolean()) {
                notAtomicYet(name);
                files.remove(name);
            }
            throw new CrashPoint("a delete of " + name);
        }
        writeFaults(false);
        notAtomicYet(name);
        files.remove(name);
    }

    private void check(String name) throws IOException {
        if (!checkedNames.contains(name)) {
            DurableStorage.checkName(name);
            checkedNames.add(name);
        }
        if (failing) throw new IOException("simulated storage failure");
    }

    /** Counts a call towards an armed crash point; true when this call is the one that crashes. */
    private boolean crashHere() {
        if (crashAtCall <= 0) return false;
        if (--crashAtCall > 0) return false;
        crashPoints++;
        return true;
    }

    /** The faults that make a write call fail before it changes anything. */
    private void writeFaults(boolean grows) throws IOException {
        if (failNextWrite) {
            failNextWrite = false;
            writeErrors++;
            throw new IOException("simulated write error (EIO)");
        }
        if (full && grows) {
            fullErrors++;
            throw new IOException("simulated full disk (ENOSPC)");
        }
    }

    private void countDestructive() {
        if (misdirectNextWrite) misdirectedWrites++; else lostWrites++;
        loseNextWrite = false;
        misdirectNextWrite = false;
    }

    /**
     * The bytes meant for {@code name} at {@code intendedAt} land over existing bytes somewhere else: another
     * file, or an earlier place of the same file.
     */
    private void misdirect(String name, byte[] data, int offset, int length, int intendedAt) {
        List<String> targets = new ArrayList<>();
        for (Map.Entry<String, File> e : files.entrySet()) {
            int room = e.getKey().equals(name) ? intendedAt : e.getValue().length;
            if (room > 0) targets.add(e.getKey());
        }
        if (targets.isEmpty()) return; // nowhere else to land: it is simply lost
        String target = targets.get(random.nextInt(targets.size()));
        File t = files.get(target);
        int room = target.equals(name) ? intendedAt : t.length;
        int at = random.nextInt(room);
        int count = Math.min(length, room - at);
        t.markDamaged();
        System.arraycopy(data, offset, t.data, at, count);
    }

    /**
     * Before a replace, truncate or delete of {@code name}: in the non-atomic mode, remembers what is durable until
     * the file's next sync; otherwise the change is durable at once and ends a silently lost replace of the file
     * (the new state lands; for a truncate this simplifies what a real device would leave).
     */
    private void notAtomicYet(String name) {
        if (!nonAtomicReplace) {
            pending.remove(name);
            return;
        }
        if (pending.containsKey(name)) return;
        pending.put(name, new Pending(durableCopy(name), false));
    }

    private File durableCopy(String name) {
        File f = files.get(name);
        if (f == null) return null;
        File c = f.copy();
        c.setLength(f.syncedLength);
        return c;
    }

    // Faults ---------------------------------------------------------------------------------------

    /** A power failure: unsynced bytes are lost, or (torn) a random prefix of them survives. */
    public void crash(Random random, boolean tear) {
        crash(random, tear ? CrashKind.TORN : CrashKind.POWER_LOSS);
    }

    /** A crash of the given kind; also ends every armed one-shot fault (they belonged to the dead process's calls). */
    public void crash(Random random, CrashKind kind) {
        for (Map.Entry<String, Pending> e : pending.entrySet()) {
            String name = e.getKey();
            File old = e.getValue().durable();
            File now = files.get(name);
            int choice = e.getValue().silent() ? 0 : random.nextInt(3); // 0 old, 1 new, 2 torn mix
            if (choice == 0 || choice == 2 && (old == null || now == null)) {
                if (old == null) files.remove(name); else files.put(name, old);
            } else if (choice == 2) {
                // The first bytes are the new content's, the rest the old's; the length is either.
                int cut = random.nextInt(Math.min(old.length, now.length) + 1);
                File mix = old.copy();
                int length = random.nextBoolean() ? old.length : now.length;
                mix.ensure(length);
                if (length > old.length) System.arraycopy(now.data, old.length, mix.data, old.length, length - old.length);
                System.arraycopy(now.data, 0, mix.data, 0, cut);
                mix.length = length;
                mix.syncedLength = length;
                mix.intended = null; // outside the contract: not counted as detectable damage
                files.put(name, mix);
            }
        }
        pending.clear();
        for (File f : files.values()) {
            int unsynced = f.length - f.syncedLength;
            int keep = switch (kind) {
                case POWER_LOSS -> 0;
                case TORN -> unsynced > 0 ? random.nextInt(unsynced) : 0;
                case PROCESS -> unsynced;
            };
            f.setLength(f.syncedLength + keep);
            f.syncedLength = f.length;
        }
        disarm();
    }

    /** Cancels every armed one-shot fault (a full disk stays full). */
    public void disarm() {
        crashAtCall = 0;
        failNextWrite = false;
        failNextSync = false;
        loseNextWrite = false;
        misdirectNextWrite = false;
        lyingSyncs = 0;
        loseNextReplaceSilently = false;
    }

    /** Flips one bit of a synced byte of the named file; returns false if there is no such byte. */
    public boolean corrupt(String name, Random random) {
        File f = files.get(name);
        if (f == null || f.syncedLength == 0) return false;
        int at = random.nextInt(f.syncedLength);
        f.markDamaged();
        f.data[at] ^= (byte) (1 << random.nextInt(8));
        bitFlips++;
        return true;
    }

    /** Flips one bit of a synced byte of a random file; returns the file's name, or null if no file has synced bytes. */
    public String corruptAny(Random random) {
        List<String> candidates = new ArrayList<>();
        for (Map.Entry<String, File> e : files.entrySet()) if (e.getValue().syncedLength > 0) candidates.add(e.getKey());
        if (candidates.isEmpty()) return null;
        String name = candidates.get(random.nextInt(candidates.size()));
        corrupt(name, random);
        return name;
    }

    /** Wipes everything, as a replaced disk or a diskless restart. */
    public void wipe() {
        files.clear();
        pending.clear();
    }

    public void setFailing(boolean failing) {
        this.failing = failing;
    }

    /** The {@code calls}-th storage call from now (1: the next) crashes in its middle, throwing {@link CrashPoint}. */
    public void crashAtCall(int calls) {
        crashAtCall = calls;
    }

    public boolean crashArmed() {
        return crashAtCall > 0;
    }

    /** The next append, replace, truncate or delete throws an IOException, changing nothing. */
    public void failNextWrite() {
        failNextWrite = true;
    }

    /** The next sync throws an IOException; what it should have made durable stays volatile. */
    public void failNextSync() {
        failNextSync = true;
    }

    /** While full, every append and every replace with content throws an IOException. */
    public void setFull(boolean full) {
        this.full = full;
    }

    public boolean full() {
        return full;
    }

    /** The next append or replace with content reports success but never lands: zeros where it should be. */
    public void loseNextWrite() {
        loseNextWrite = true;
    }

    /** The next append or replace with content lands over other bytes (of this or another file); zeros where it should be. */
    public void misdirectNextWrite() {
        misdirectNextWrite = true;
    }

    /** Undetectable by design: the next {@code count} syncs report success but leave the bytes volatile. */
    public void lieOnNextSyncs(int count) {
        lyingSyncs = count;
    }

    /** Undetectable by design: the next replace reports success, but the old content is what a crash leaves. */
    public void loseNextReplaceSilently() {
        loseNextReplaceSilently = true;
    }

    /** Outside the contract: replace, truncate and delete are neither atomic nor durable until the file's next sync. */
    public void setNonAtomicReplace(boolean on) {
        nonAtomicReplace = on;
        if (!on) pending.entrySet().removeIf(e -> !e.getValue().silent());
    }

    /** True when a destructive fault is armed and has not landed yet. */
    public boolean destructiveFaultArmed() {
        return loseNextWrite || misdirectNextWrite;
    }

    /** True when an undetectable fault is armed or pending (a lying sync, a silently lost replace). */
    public boolean silentFaultPending() {
        return lyingSyncs > 0 || loseNextReplaceSilently || pending.values().stream().anyMatch(Pending::silent);
    }

    /** True when some file holds detectable damage (lost or misdirected writes, bit flips) that is still there. */
    public boolean damaged() {
        for (File f : files.values()) if (f.firstDamage() >= 0) return true;
        for (Pending p : pending.values()) if (p.durable() != null && p.durable().firstDamage() >= 0) return true;
        return false;
    }

    /** The files with detectable damage, each with where its damage starts: "log from byte 120 of 4000". */
    public List<String> damagedFiles() {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, File> e : files.entrySet()) {
            File f = e.getValue();
            int at = f.firstDamage();
            if (at >= 0) out.add(e.getKey() + " from byte " + at + " of " + f.length);
        }
        return out;
    }

    /** A copy of the current content (the copy has no armed faults), e.g. to see what a restart would load. */
    public SimStorage copy() {
        SimStorage c = new SimStorage(new Random(0));
        for (Map.Entry<String, File> e : files.entrySet()) c.files.put(e.getKey(), e.getValue().copy());
        return c;
    }
}
