package psr.consensus.part;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Three replicas of one part in this JVM, for benchmarks (same wiring as {@code PartRuntimeTest}). */
public final class PartBench implements AutoCloseable {
    private final LoopbackNetwork network = new LoopbackNetwork();
    private final PartRuntime[] replicas = new PartRuntime[3];
    private ExecutorService clients;

    public static PartBench threeReplicas() throws Exception {
        PartBench b = new PartBench();
        MemoryStorageProvider disks = new MemoryStorageProvider();
        TestEventLoops loops = new TestEventLoops();
        for (int node = 1; node <= 3; node++) {
            Map<String, Object> p = new HashMap<>();
            p.put("part", "bench");
            p.put("node", node);
            p.put("replicas", "1,2,3");
            p.put("storage.directory", "/bench/node" + node);
            PartRuntime r = new PartRuntime(PartSettings.from(p), b.network.node(node), loops, disks, new PartRuntime.Log() {
                @Override public void info(String m) {}
                @Override public void warn(String m) { System.err.println(m); }
                @Override public void error(String m, Throwable t) { System.err.println(m + ": " + t); }
            });
            r.start();
            b.replicas[node - 1] = r;
        }
        return b;
    }

    public PartRuntime awaitPrimary() throws InterruptedException {
        while (true) {
            for (PartRuntime r : replicas) if (r.status().role() == psr.api.state.Role.PRIMARY) return r;
            Thread.sleep(5);
        }
    }

    public ExecutorService clients(int threads) {
        if (clients == null) clients = Executors.newFixedThreadPool(threads);
        return clients;
    }

    @Override
    public void close() {
        if (clients != null) clients.shutdownNow();
        for (PartRuntime r : replicas) r.stop();
        network.shutdown();
    }
}
