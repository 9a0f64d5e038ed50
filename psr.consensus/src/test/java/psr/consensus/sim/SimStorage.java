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

    private static final class File {
        byte[] synced = new byte[0];
        byte[] unsynced = new byte[0];

        byte[] all() {
            byte[] out = Arrays.copyOf(synced, synced.length + unsynced.length);
            System.arraycopy(unsynced, 0, out, synced.length, unsynced.length);
            return out;
        }
    }

    private final TreeMap<String, File> files = new TreeMap<>();
    private boolean failing;
    public long syncs;
    public long bytesWritten;

    @Override
    public void append(String name, byte[] data, int offset, int length) throws IOException {
        check(name);
        File f = files.computeIfAbsent(name, n -> new File());
        byte[] u = Arrays.copyOf(f.unsynced, f.unsynced.length + length);
        System.arraycopy(data, offset, u, f.unsynced.length, length);
        f.unsynced = u;
        bytesWritten += length;
    }

    @Override
    public void sync(String name) throws IOException {
        check(name);
        File f = files.get(name);
        if (f == null) return;
        f.synced = f.all();
        f.unsynced = new byte[0];
        syncs++;
    }

    @Override
    public void replace(String name, byte[] content) throws IOException {
        check(name);
        File f = new File();
        f.synced = content.clone();
        files.put(name, f);
        bytesWritten += content.length;
        syncs++;
    }

    @Override
    public void truncate(String name, long length) throws IOException {
        check(name);
        File f = files.get(name);
        if (f == null) return;
        byte[] all = f.all();
        f.synced = Arrays.copyOf(all, (int) Math.min(length, all.length));
        f.unsynced = new byte[0];
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
            if (tear && f.unsynced.length > 0) {
                int keep = random.nextInt(f.unsynced.length);
                f.synced = Arrays.copyOf(f.all(), f.synced.length + keep);
            }
            f.unsynced = new byte[0];
        }
    }

    /** Flips one bit of a synced byte of the named file; returns false if there is no such byte. */
    public boolean corrupt(String name, Random random) {
        File f = files.get(name);
        if (f == null || f.synced.length == 0) return false;
        int at = random.nextInt(f.synced.length);
        f.synced[at] ^= (byte) (1 << random.nextInt(8));
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
