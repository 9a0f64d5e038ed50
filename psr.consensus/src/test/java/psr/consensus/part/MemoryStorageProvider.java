package psr.consensus.part;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import psr.api.osal.DurableStorageProvider;
import psr.consensus.sim.SimStorage;

/** Storage directories kept in memory across a part's restarts (they survive a stop, as a disk would); for tests. */
final class MemoryStorageProvider implements DurableStorageProvider {
    private final Map<String, SimStorage> directories = new ConcurrentHashMap<>();
    private final Map<String, Boolean> locked = new ConcurrentHashMap<>();

    @Override
    public OpenStorage open(String path) throws IOException {
        if (locked.putIfAbsent(path, true) != null) throw new IOException("storage directory " + path + " is in use");
        SimStorage s = directories.computeIfAbsent(path, p -> new SimStorage());
        return new OpenStorage() {
            @Override public String path() { return path; }
            @Override public void close() { locked.remove(path); }
            @Override public void append(String name, byte[] data, int offset, int length) throws IOException { s.append(name, data, offset, length); }
            @Override public void sync(String name) throws IOException { s.sync(name); }
            @Override public void replace(String name, byte[] content) throws IOException { s.replace(name, content); }
            @Override public void truncate(String name, long length) throws IOException { s.truncate(name, length); }
            @Override public byte[] read(String name) throws IOException { return s.read(name); }
            @Override public List<String> list() { return s.list(); }
            @Override public void delete(String name) throws IOException { s.delete(name); }
        };
    }
}
