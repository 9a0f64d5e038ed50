package psr.consensus.core;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;

import psr.api.osal.DurableStorage;
import psr.consensus.sim.SimStorage;

/**
 * A {@link DurableStorage} over a {@link SimStorage} that loses power at a chosen call: that call and every later
 * one throw, and the call does not take effect (a replace is atomic: before the crash it did not happen). A crash
 * "just after" a call is the crash at the next call. The caller then calls {@link SimStorage#crash} on the
 * underlying storage, which drops (or tears) whatever was appended but not synced.
 */
final class CrashPointStorage implements DurableStorage {
    private final SimStorage disk;
    /** Decides, from the call about to happen ("append log", "sync log", "replace checkpoint", ...) and the calls so far, whether power fails now. */
    private final BiPredicate<String, List<String>> crashBefore;
    final List<String> calls = new ArrayList<>();
    boolean crashed;

    CrashPointStorage(SimStorage disk, BiPredicate<String, List<String>> crashBefore) {
        this.disk = disk;
        this.crashBefore = crashBefore;
    }

    /** Crashes at the n-th mutating call (1-based). */
    static CrashPointStorage atCall(SimStorage disk, int n) {
        return new CrashPointStorage(disk, (call, before) -> before.size() + 1 == n);
    }

    private void step(String call) throws IOException {
        if (crashed) throw new IOException("power lost");
        if (crashBefore.test(call, calls)) {
            crashed = true;
            throw new IOException("power lost before " + call + " (call " + (calls.size() + 1) + ")");
        }
        calls.add(call);
    }

    @Override public void append(String name, byte[] data, int offset, int length) throws IOException { step("append " + name); disk.append(name, data, offset, length); }
    @Override public void sync(String name) throws IOException { step("sync " + name); disk.sync(name); }
    @Override public void replace(String name, byte[] content) throws IOException { step("replace " + name); disk.replace(name, content); }
    @Override public void truncate(String name, long length) throws IOException { step("truncate " + name); disk.truncate(name, length); }
    @Override public void delete(String name) throws IOException { step("delete " + name); disk.delete(name); }

    @Override
    public byte[] read(String name) throws IOException {
        if (crashed) throw new IOException("power lost");
        return disk.read(name);
    }

    @Override
    public List<String> list() throws IOException {
        if (crashed) throw new IOException("power lost");
        return disk.list();
    }
}
