package psr.consensus.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import psr.api.osal.DurableStorage;

/**
 * An in-memory {@link DurableStorage} that keeps the synced and the unsynced bytes of each file apart, so
 * that a simulated crash can lose the unsynced ones, tear them, and a storage fault can corrupt synced ones.
 */
public final class SimStorage implements DurableStorage {

    /** A file's bytes: the first {@code syncedLength} are durable, the rest may vanish in a crash. */
    private static final class File {
        byte[] data = new byte[64];
        int length;
        int syncedLength;

        void write(byte[] src, int offset, int count) {
            if (length + count > data.length) data = Arrays.copyOf(data, Math.max(data.length * 2, length + count));
            System.arraycopy(src, offset, data, length, count);
            length += count;
        }

        byte[] all() {
            return Arrays.copyOf(data, length);
        }
    }

    private final TreeMap<String, File> files = new TreeMap<>();
    private boolean failing;
    public long syncs;
    public long bytesWritten;

    @Override
    public void append(String name, byte[] data, int offset, int length) throws IOException {
        check(name);
        files.computeIfAbsent(name, n -> new File()).write(data, offset, length);
        bytesWritten += length;
    }

    @Override
    public void sync(String name) throws IOException {
        check(name);
        File f = files.get(name);
        if (f == null) return;
        f.syncedLength = f.length;
        syncs++;
    }

    @Override
    public void replace(String name, byte[] content) throws IOException {
        check(name);
        File f = new File();
        f.write(content, 0, content.length);
        f.syncedLength = f.length;
        files.put(name, f);
        bytesWritten += content.length;
        syncs++;
    }

    @Override
    public void truncate(String name, long length) throws IOException {
        check(name);
        File f = files.get(name);
        if (f == null) return;
        f.length = (int) Math.min(length, f.length);
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
        files.remove(name);
    }

    private void check(String name) throws IOException {
        DurableStorage.checkName(name);
        if (failing) throw new IOException("simulated storage failure");
    }

    // Faults ---------------------------------------------------------------------------------------

    /** A power failure: unsynced bytes are lost, or (torn) a random prefix of them survives. */
    public void crash(Random random, boolean tear) {
        for (File f : files.values()) {
            int unsynced = f.length - f.syncedLength;
            int keep = tear && unsynced > 0 ? random.nextInt(unsynced) : 0;
            f.length = f.syncedLength + keep;
            f.syncedLength = f.length;
        }
    }

    /** Flips one bit of a synced byte of the named file; returns false if there is no such byte. */
    public boolean corrupt(String name, Random random) {
        File f = files.get(name);
        if (f == null || f.syncedLength == 0) return false;
        int at = random.nextInt(f.syncedLength);
        f.data[at] ^= (byte) (1 << random.nextInt(8));
        return true;
    }

    /** Wipes everything, as a replaced disk or a diskless restart. */
    public void wipe() {
        files.clear();
    }

    public void setFailing(boolean failing) {
        this.failing = failing;
    }
}
