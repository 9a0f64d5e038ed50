package psr.consensus.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

import psr.api.osal.DurableStorage;

/**
 * An in-memory {@link DurableStorage} that behaves as Linux's page cache does when write-back fails (the
 * "fsyncgate" behaviour PostgreSQL ran into in 2018): {@code sync} reports the I/O error once, the failed pages are
 * then marked clean although they never reached the disk, a later {@code sync} of the same file succeeds without
 * writing them, and reads (also by a restarted process) keep returning the cached bytes until the machine loses
 * power. After {@link #powerFailure} a file holds what reached the disk: bytes whose write-back failed read as zeros.
 * {@code replace}, {@code truncate} and {@code delete} are atomic and durable, as the interface promises.
 */
final class PageCacheStorage implements DurableStorage {

    private static final class File {
        byte[] cache = new byte[0];
        /** Every byte below this was handed to write-back (successfully, or lost in a failure). */
        int writtenBack;
        final List<int[]> lost = new ArrayList<>();
    }

    private final TreeMap<String, File> files = new TreeMap<>();
    private final Set<String> failNextSync = new HashSet<>();

    /** The next sync of {@code name} fails with EIO; the bytes it should have written are lost. */
    void failNextSync(String name) {
        failNextSync.add(name);
    }

    @Override
    public void append(String name, byte[] data, int offset, int length) {
        File f = files.computeIfAbsent(DurableStorage.checkName(name), n -> new File());
        int old = f.cache.length;
        f.cache = Arrays.copyOf(f.cache, old + length);
        System.arraycopy(data, offset, f.cache, old, length);
    }

    @Override
    public void sync(String name) throws IOException {
        File f = files.get(DurableStorage.checkName(name));
        if (f == null) return;
        if (failNextSync.remove(name)) {
            if (f.writtenBack < f.cache.length) f.lost.add(new int[] {f.writtenBack, f.cache.length});
            f.writtenBack = f.cache.length; // the kernel marks the pages clean: nobody will write them again
            throw new IOException("fsync of '" + name + "': Input/output error (simulated)");
        }
        f.writtenBack = f.cache.length;
    }

    @Override
    public void replace(String name, byte[] content) {
        File f = new File();
        f.cache = content.clone();
        f.writtenBack = content.length;
        files.put(DurableStorage.checkName(name), f);
    }

    @Override
    public void truncate(String name, long length) {
        File f = files.get(DurableStorage.checkName(name));
        if (f == null) return;
        f.cache = Arrays.copyOf(f.cache, (int) Math.min(length, f.cache.length));
        f.writtenBack = f.cache.length;
        f.lost.removeIf(r -> r[0] >= f.cache.length);
        for (int[] r : f.lost) r[1] = Math.min(r[1], f.cache.length);
    }

    @Override
    public byte[] read(String name) {
        File f = files.get(DurableStorage.checkName(name));
        return f == null ? null : f.cache.clone();
    }

    @Override
    public List<String> list() {
        return new ArrayList<>(files.keySet());
    }

    @Override
    public void delete(String name) {
        files.remove(DurableStorage.checkName(name));
    }

    /** The machine loses power: the page cache is gone, each file is what reached the disk. */
    void powerFailure() {
        for (File f : files.values()) {
            f.cache = Arrays.copyOf(f.cache, f.writtenBack);
            for (int[] r : f.lost) Arrays.fill(f.cache, r[0], Math.min(r[1], f.cache.length), (byte) 0);
            f.lost.clear();
        }
    }
}
