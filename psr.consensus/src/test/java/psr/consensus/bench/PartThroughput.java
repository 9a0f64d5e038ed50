package psr.consensus.bench;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import psr.api.state.Operation;
import psr.api.state.Value;
import psr.consensus.part.PartBench;

/**
 * Writes per second and latency through the whole part stack (state service, event loop, replica core,
 * codec, in-memory network, in-memory storage) with three replicas in one JVM. A figure, not a test:
 * {@code mvn -q -f psr.consensus/pom.xml test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=psr.consensus.bench.PartThroughput}.
 */
public final class PartThroughput {
    public static void main(String[] args) throws Exception {
        for (int concurrency : new int[] {1, 16, 64}) run(concurrency, 5);
    }

    static void run(int concurrency, int seconds) throws Exception {
        try (PartBench bench = PartBench.threeReplicas()) {
            var primary = bench.awaitPrimary();
            AtomicInteger done = new AtomicInteger();
            long[] latencies = new long[2_000_000];
            AtomicInteger sample = new AtomicInteger();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            CompletableFuture<?>[] writers = new CompletableFuture<?>[concurrency];
            for (int w = 0; w < concurrency; w++) {
                int writer = w;
                writers[w] = CompletableFuture.runAsync(() -> {
                    int i = 0;
                    while (System.nanoTime() < end) {
                        long start = System.nanoTime();
                        primary.submit(Operation.put("w" + writer, Value.ofInt64(i++))).toCompletableFuture().join();
                        int s = sample.getAndIncrement();
                        if (s < latencies.length) latencies[s] = System.nanoTime() - start;
                        done.incrementAndGet();
                    }
                }, bench.clients(concurrency));
            }
            CompletableFuture.allOf(writers).join();
            int n = Math.min(sample.get(), latencies.length);
            long[] sorted = Arrays.copyOf(latencies, n);
            Arrays.sort(sorted);
            System.out.printf("%3d concurrent writers: %,8.0f committed writes/s, latency p50 %.2f ms, p99 %.2f ms%n",
                    concurrency, done.get() / (double) seconds, sorted[n / 2] / 1e6, sorted[(int) (n * 0.99)] / 1e6);
        }
    }

}
