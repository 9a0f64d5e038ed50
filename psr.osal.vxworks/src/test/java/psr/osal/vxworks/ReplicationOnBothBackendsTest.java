package psr.osal.vxworks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;

import psr.api.state.Operation;
import psr.api.state.PartState;
import psr.api.state.ReadConsistency;
import psr.api.state.Role;
import psr.api.state.Value;
import psr.api.transport.Receiver;
import psr.api.transport.Transport;

/**
 * One part replicated by three replicas ({@code psr.consensus}) in a real Felix, once on the Linux backend and
 * once on the VxWorks backend (host emulation, storage on the emulated HRFS volume {@code /ata0:1}): writes
 * commit and every replica reads them. Then the OSAL bundle is stopped and started again while the framework runs
 * (the parts lose their OSAL services, are deactivated, and come back when the backend returns): every committed
 * value is still there and new writes commit.
 *
 * <p>What this does not show: a swap from the Linux to the VxWorks backend in one framework. The framework's OS is
 * fixed when it starts, so only one of the two ever resolves in it; a swap replaces a backend with another build of
 * the same one.
 */
class ReplicationOnBothBackendsTest {

    @TempDir
    Path temp;

    @Test
    void onTheLinuxBackend() throws Exception {
        Framework framework = FelixHarness.start(temp.resolve("felix"), Map.of(), bundles());
        try {
            assertEquals(Bundle.ACTIVE, FelixHarness.bundle(framework, "psr.osal.linux").getState());
            replicateThenRestartTheBackend(framework, "psr.osal.linux", temp.resolve("linux").toString());
            assertTrue(Files.isDirectory(temp.resolve("linux/node1/tank")), "storage in the Linux directory");
        } finally {
            FelixHarness.stop(framework);
        }
    }

    @Test
    void onTheVxWorksBackend() throws Exception {
        Path root = temp.resolve("vxworks");
        Framework framework = FelixHarness.start(temp.resolve("felix"), Map.of(Constants.FRAMEWORK_OS_NAME, "VxWorks",
                "psr.vxworks.kernel", "emulated", "psr.vxworks.emulation.root", root.toString(),
                "psr.vxworks.emulation.clkrate", "1000"), bundles());
        try {
            assertEquals(Bundle.ACTIVE, FelixHarness.bundle(framework, "psr.osal.vxworks").getState());
            replicateThenRestartTheBackend(framework, "psr.osal.vxworks", "/ata0:1/psr");
            assertTrue(Files.isDirectory(root.resolve("ata0_1/psr/node1/tank")), "storage on the emulated HRFS volume");
        } finally {
            FelixHarness.stop(framework);
        }
    }

    private static String[] bundles() {
        return FelixHarness.controllerBundles();
    }

    private void replicateThenRestartTheBackend(Framework framework, String osalBundle, String storageRoot)
            throws Exception {
        BundleContext context = framework.getBundleContext();
        ExecutorService wire = Executors.newSingleThreadExecutor();
        Map<Integer, Loopback> transports = new ConcurrentHashMap<>();
        for (int node = 1; node <= 3; node++) {
            Loopback transport = new Loopback(node, transports, wire);
            transports.put(node, transport);
            Dictionary<String, Object> properties = new Hashtable<>();
            properties.put("psr.node", node);
            context.registerService(Transport.class, transport, properties);
        }
        ConfigurationAdmin configurationAdmin = FelixHarness.get(framework, ConfigurationAdmin.class);
        List<Configuration> configurations = new ArrayList<>();
        try {
            for (int node = 1; node <= 3; node++) {
                Configuration configuration = configurationAdmin.getFactoryConfiguration("psr.part", "tank-" + node, "?");
                Dictionary<String, Object> properties = new Hashtable<>();
                properties.put("part", "tank");
                properties.put("node", node);
                properties.put("replicas", "1,2,3");
                properties.put("storage.directory", storageRoot + "/node" + node + "/tank");
                properties.put("tick.ms", 5);
                properties.put("heartbeat.ms", 20);
                properties.put("connectivity.window.ms", 60);
                properties.put("election.timeout.ms", 200);
                properties.put("view.change.timeout.ms", 200);
                properties.put("transport.target", "(psr.node=" + node + ")");
                configuration.update(properties);
                configurations.add(configuration);
            }
            await("three replicas and a primary", () -> parts(context).size() == 3 && primary(context) > 0);
            for (int i = 1; i <= 10; i++) {
                assertTrue(get(parts(context).get(1 + i % 3).submit(Operation.put("level", Value.ofInt32(i))))
                        .applied());
            }
            for (int node = 1; node <= 3; node++) {
                assertEquals(Optional.of(10), get(parts(context).get(node).read("level", ReadConsistency.LINEARIZABLE))
                        .map(Value::asInt32), "node " + node);
            }

            // Replace the OSAL backend while the framework runs: stop it, start it again.
            Bundle osal = FelixHarness.bundle(framework, osalBundle);
            osal.stop();
            await("parts gone with their OSAL", () -> parts(context).isEmpty());
            osal.start();
            await("parts back with a primary", () -> parts(context).size() == 3 && primary(context) > 0);
            for (int node = 1; node <= 3; node++) {
                int n = node;
                // A restarted replica refuses local reads until it has applied again what it had before; a backup that
                // had not received the last writes before the restart (a quorum is enough to commit) is behind until
                // it catches up, so its local value reaches 10, and never shows one it had not applied.
                await("node " + n + " has the committed state again", () -> parts(context).get(n) != null
                        && Integer.valueOf(10).equals(localLevel(parts(context).get(n))));
            }
            assertTrue(get(parts(context).get(primary(context)).submit(Operation.put("level", Value.ofInt32(11))))
                    .applied());
            assertEquals(Optional.of(11), get(parts(context).get(1).read("level", ReadConsistency.LINEARIZABLE))
                    .map(Value::asInt32));
        } finally {
            for (Configuration configuration : configurations) {
                configuration.delete();
            }
            await("parts gone", () -> parts(context).isEmpty());
            wire.shutdownNow();
        }
    }

    private static Map<Integer, PartState> parts(BundleContext context) {
        Map<Integer, PartState> parts = new TreeMap<>();
        try {
            for (ServiceReference<PartState> reference : context.getServiceReferences(PartState.class, null)) {
                PartState part = context.getService(reference);
                if (part != null) {
                    parts.put((Integer) reference.getProperty("psr.node"), part);
                }
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return parts;
    }

    private static int primary(BundleContext context) {
        for (Map.Entry<Integer, PartState> entry : parts(context).entrySet()) {
            if (entry.getValue().status().role() == Role.PRIMARY) {
                return entry.getKey();
            }
        }
        return -1;
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FelixHarness.WAIT_MILLIS);
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < end, "within " + FelixHarness.WAIT_MILLIS + " ms: " + what);
            Thread.sleep(10);
        }
    }

    private static <T> T get(CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(FelixHarness.WAIT_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** An in-memory transport between the three nodes of this test. */
    private static final class Loopback implements Transport {
        private final int node;
        private final Map<Integer, Loopback> all;
        private final ExecutorService wire;
        private final Map<String, Receiver> receivers = new ConcurrentHashMap<>();

        Loopback(int node, Map<Integer, Loopback> all, ExecutorService wire) {
            this.node = node;
            this.all = all;
            this.wire = wire;
        }

        @Override
        public int localNode() {
            return node;
        }

        @Override
        public int maxMessageBytes() {
            return 1 << 20;
        }

        @Override
        public Map<String, Long> counters() {
            return Map.of();
        }

        @Override
        public void send(String part, int toNode, byte[] message) {
            byte[] copy = message.clone();
            wire.execute(() -> {
                Loopback to = all.get(toNode);
                Receiver receiver = to == null ? null : to.receivers.get(part);
                if (receiver != null) {
                    receiver.receive(node, copy);
                }
            });
        }

        @Override
        public Registration register(String part, Receiver receiver) {
            receivers.put(part, receiver);
            return () -> receivers.remove(part, receiver);
        }
    }

    /** The local value of "level", or null while absent or refused. */
    static Integer localLevel(psr.api.state.PartState p) {
        psr.api.state.Value v = localOrEmpty(p, "level").get("level");
        return v == null ? null : v.asInt32();
    }

    /** A local read, or nothing while the replica refuses it (restarted, not yet caught up). */
    static java.util.Map<String, psr.api.state.Value> localOrEmpty(psr.api.state.PartState p, String prefix) {
        try {
            return p.readLocal(prefix);
        } catch (psr.api.state.StateException e) {
            return java.util.Map.of();
        }
    }
}
