package psr.consensus.bench;

import psr.consensus.sim.Cluster;
import psr.consensus.sim.Cluster.Options;

/**
 * How fast the simulator runs: simulated committed operations per wall-clock second, for a busy 5-replica
 * durable cluster on a clean network and on a lossy one. A figure, not a test: run with
 * {@code mvn -q -f psr.consensus/pom.xml test-compile exec:java -Dexec.classpathScope=test -Dexec.mainClass=psr.consensus.bench.SimulatorSpeed}.
 */
public final class SimulatorSpeed {
    public static void main(String[] args) {
        run("5 replicas, durable, clean network", 0, 0, 1, 2);
        run("5 replicas, durable, 10% loss, 5% duplication, delay 1-6", 0.10, 0.05, 1, 6);
        run("5 replicas, durable, clean network", 0, 0, 1, 2); // again, JIT warm
    }

    static void run(String name, double loss, double dup, int delayMin, int delayMax) {
        Cluster c = new Cluster(1, Options.defaults(5).withClients(20).withRequestRate(1.0));
        c.network.setFaults(loss, dup, delayMin, delayMax);
        long start = System.nanoTime();
        c.run(20_000);
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%-58s %8d ops in %7d ticks, %.2f s: %,.0f committed ops/s, %,.0f ticks/s%n", name,
                c.committedOps(), c.now(), seconds, c.committedOps() / seconds, c.now() / seconds);
    }
}
