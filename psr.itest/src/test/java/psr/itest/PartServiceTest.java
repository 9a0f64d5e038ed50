package psr.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import psr.api.state.Change;
import psr.api.state.ChangeListener;
import psr.api.state.Operation;
import psr.api.state.PartState;
import psr.api.state.PrimaryTask;
import psr.api.state.ReadConsistency;
import psr.api.state.Role;
import psr.api.state.Value;
import psr.api.transport.Receiver;
import psr.api.transport.Transport;

/**
 * Parts as OSGi services in a real Felix framework: three replicas of one part, each from its own factory
 * configuration of {@code psr.part}, on the Linux OSAL (real event loops, real storage directories), over a
 * loopback transport that this test registers as three {@link Transport} services ({@code psr.node=1..3}).
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class PartServiceTest {
    static final long WAIT_MS = 15_000;

    @InjectBundleContext
    BundleContext context;

    @InjectService
    ConfigurationAdmin configurationAdmin;

    @InjectService
    ServiceComponentRuntime scr;

    @TempDir
    Path temp;

    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();
    private final Map<Integer, Configuration> configurations = new TreeMap<>();
    private final ExecutorService wire = Executors.newSingleThreadExecutor();
    private final Map<Integer, LoopbackTransport> transports = new ConcurrentHashMap<>();

    /** An in-memory transport between the nodes this test registers. */
    final class LoopbackTransport implements Transport {
        final int node;
        final Map<String, Receiver> receivers = new ConcurrentHashMap<>();
        final AtomicLong sent = new AtomicLong();

        LoopbackTransport(int node) {
            this.node = node;
        }

        @Override public int localNode() { return node; }
        @Override public int maxMessageBytes() { return 1 << 20; }
        @Override public Map<String, Long> counters() { return Map.of("sent", sent.get()); }

        @Override
        public void send(String part, int toNode, byte[] message) {
            sent.incrementAndGet();
            byte[] copy = message.clone();
            wire.execute(() -> {
                LoopbackTransport to = transports.get(toNode);
                Receiver r = to == null ? null : to.receivers.get(part);
                if (r != null) r.receive(node, copy);
            });
        }

        @Override
        public Registration register(String part, Receiver receiver) {
            receivers.put(part, receiver);
            return () -> receivers.remove(part, receiver);
        }
    }

    @BeforeEach
    void registerTransports() {
        for (int node = 1; node <= 3; node++) {
            LoopbackTransport t = new LoopbackTransport(node);
            transports.put(node, t);
            Dictionary<String, Object> props = new Hashtable<>();
            props.put("psr.node", node);
            registrations.add(context.registerService(Transport.class, t, props));
        }
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Configuration c : configurations.values()) c.delete();
        await("part services gone", () -> parts().isEmpty());
        for (ServiceRegistration<?> r : registrations) {
            try {
                r.unregister();
            } catch (IllegalStateException e) {
                // already unregistered by the test
            }
        }
        wire.shutdownNow();
    }

    Configuration configure(int node, String part, Map<String, Object> extra) throws Exception {
        Configuration c = configurationAdmin.getFactoryConfiguration("psr.part", part + "-" + node, "?");
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("part", part);
        props.put("node", node);
        props.put("replicas", "1,2,3");
        props.put("storage.directory", temp.resolve("node" + node).resolve(part).toString());
        props.put("tick.ms", 5);
        props.put("heartbeat.ms", 20);
        props.put("connectivity.window.ms", 60);
        props.put("election.timeout.ms", 200);
        props.put("view.change.timeout.ms", 200);
        props.put("transport.target", "(psr.node=" + node + ")");
        for (Map.Entry<String, Object> e : extra.entrySet()) props.put(e.getKey(), e.getValue());
        c.update(props);
        configurations.put(node, c);
        return c;
    }

    void configureAll(String part) throws Exception {
        for (int node = 1; node <= 3; node++) configure(node, part, Map.of());
    }

    Map<Integer, PartState> parts() {
        Map<Integer, PartState> out = new TreeMap<>();
        try {
            for (ServiceReference<PartState> ref : context.getServiceReferences(PartState.class, null)) {
                PartState s = context.getService(ref);
                if (s != null) out.put((Integer) ref.getProperty("psr.node"), s);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return out;
    }

    PartState part(int node) {
        await("part service on node " + node, () -> parts().containsKey(node));
        return parts().get(node);
    }

    int primary() {
        for (Map.Entry<Integer, PartState> e : parts().entrySet()) {
            if (e.getValue().status().role() == Role.PRIMARY) return e.getKey();
        }
        return -1;
    }

    static void await(String what, BooleanSupplier condition) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("within %d ms: %s", WAIT_MS, what).isLessThan(end);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    static <T> T get(java.util.concurrent.CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(WAIT_MS, TimeUnit.MILLISECONDS);
    }

    @Test
    void factoryConfigurationsBringUpAReplicatedPartAndListenersSeeEveryChangeOnceInOrder() throws Exception {
        List<Change> seen = Collections.synchronizedList(new ArrayList<>());
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("psr.part", "boiler");
        registrations.add(context.registerService(ChangeListener.class, seen::add, props));
        configureAll("boiler");
        await("three replicas and a primary", () -> parts().size() == 3 && primary() > 0);
        for (int i = 1; i <= 30; i++) {
            assertThat(get(part(1 + i % 3).submit(Operation.put("setpoint", Value.ofDouble(i)))).applied()).isTrue();
        }
        // One listener is bound by each of the three replicas in this framework: 3 x 30 changes.
        await("every change delivered", () -> seen.size() == 90);
        Map<Long, Integer> perOp = new TreeMap<>();
        synchronized (seen) {
            for (Change c : seen) perOp.merge(c.opNumber(), 1, Integer::sum);
        }
        assertThat(perOp).hasSize(30).allSatisfy((op, count) -> assertThat(count).as("op %d", op).isEqualTo(3));
        for (int node = 1; node <= 3; node++) {
            assertThat(get(part(node).read("setpoint", ReadConsistency.LINEARIZABLE))).map(Value::asDouble).contains(30.0);
        }
    }

    @Test
    void aConfigurationUpdateOfTimingRestartsTheReplicaCleanlyFromItsDisk() throws Exception {
        configureAll("mixer");
        await("a primary", () -> primary() > 0);
        get(part(2).submit(Operation.put("speed", Value.ofInt32(1200))));
        PartState before = part(3);
        Dictionary<String, Object> props = configurations.get(3).getProperties();
        props.put("election.timeout.ms", 300); // protocol timing: the replica restarts on it
        configurations.get(3).update(props);
        await("node 3 re-registered", () -> parts().get(3) != null && parts().get(3) != before);
        await("node 3 has the state again", () -> localOrEmpty(part(3), "").containsKey("speed"));
        assertThat(part(3).readLocal("speed").get("speed").asInt32()).isEqualTo(1200);
        assertThat(get(part(3).submit(Operation.put("speed", Value.ofInt32(1300)))).applied()).isTrue();
    }

    @Test
    void forwardingAndTheRequestTimeoutChangeWithoutARestartAndABadChangeIsRefused() throws Exception {
        configureAll("kiln");
        await("node 1 is primary", () -> primary() == 1);
        PartState backup = part(3);
        assertThat(get(backup.submit(Operation.put("temp", Value.ofInt32(900)))).applied()).isTrue(); // forwarded

        Dictionary<String, Object> props = configurations.get(3).getProperties();
        props.put("forward.writes", false);
        props.put("request.timeout.ms", 2000);
        configurations.get(3).update(props);
        // The same replica (no new service, no restart) now refuses writes at once, naming the primary.
        await("forwarding off at node 3", () -> {
            try {
                get(backup.submit(Operation.put("temp", Value.ofInt32(901))));
                return false;
            } catch (java.util.concurrent.ExecutionException e) {
                return e.getCause() instanceof psr.api.state.NotPrimaryException;
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(parts().get(3)).isSameAs(backup);
        assertThat(backup.status().role()).isEqualTo(Role.BACKUP);

        // A bad value is refused; the replica goes on with what it had (still not forwarding, still the same service).
        props.put("request.timeout.ms", "soon");
        props.put("forward.writes", true); // would switch forwarding on, were the configuration taken
        configurations.get(3).update(props);
        Thread.sleep(500); // ConfigAdmin delivers asynchronously; nothing observable says "refused"
        assertThat(parts().get(3)).isSameAs(backup);
        assertThat(backup.status().role()).isEqualTo(Role.BACKUP);
        java.util.concurrent.ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> get(backup.submit(Operation.put("temp", Value.ofInt32(950)))));
        assertThat(refused.getCause()).isInstanceOf(psr.api.state.NotPrimaryException.class); // still not forwarding

        props.put("request.timeout.ms", 2000);
        props.put("forward.writes", true);
        configurations.get(3).update(props);
        await("forwarding on again at node 3", () -> {
            try {
                return get(backup.submit(Operation.put("temp", Value.ofInt32(902)))).applied();
            } catch (Exception e) {
                return false;
            }
        });
        assertThat(parts().get(3)).isSameAs(backup);
        assertThat(get(part(1).read("temp", ReadConsistency.LINEARIZABLE))).map(Value::asInt32).contains(902);
    }

    @Test
    void thePrimaryFailsOverWhenItsReplicaGoesAway() throws Exception {
        configureAll("dryer");
        await("node 1 is primary", () -> primary() == 1);
        get(part(1).submit(Operation.put("temp", Value.ofFloat(80.5f))));
        configurations.remove(1).delete(); // the primary's component goes away
        await("node 1 gone, a new primary", () -> !parts().containsKey(1) && (primary() == 2 || primary() == 3));
        assertThat(get(part(2).submit(Operation.put("temp", Value.ofFloat(81.0f)))).view()).isGreaterThan(0);
        configure(1, "dryer", Map.of());
        await("node 1 back as backup, caught up", () -> parts().containsKey(1)
                && part(1).status().role() == Role.BACKUP && localOrEmpty(part(1), "temp").get("temp") != null
                && localOrEmpty(part(1), "temp").get("temp").asFloat() == 81.0f);
    }

    @Test
    void aPrimaryTaskMovesWithThePrimary() throws Exception {
        // One registration, as an application bundle makes it; each replica's component binds it, and only
        // the part's primary runs it.
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("psr.part", "press");
        props.put("psr.task", "stroke-counter");
        props.put("psr.task.period.ms", 20);
        registrations.add(context.registerService(PrimaryTask.class, cycle -> {
            long strokes = cycle.read("strokes").map(Value::asInt64).orElse(0L);
            cycle.put("strokes", Value.ofInt64(strokes + 1));
        }, props));
        configureAll("press");
        await("strokes counted on node 1", () -> primary() == 1 && valueOf(2, "strokes") >= 10);
        configurations.remove(1).delete();
        long atFailover = valueOf(2, "strokes");
        await("counting goes on after failover", () -> valueOf(2, "strokes") >= atFailover + 10);
        long strokes = valueOf(2, "strokes");
        long cycle = valueOf(2, "$task/stroke-counter/cycle");
        // Every committed cycle added exactly one stroke: no cycle committed twice, none skipped back.
        await("last cycle applied", () -> valueOf(2, "$task/stroke-counter/cycle") == valueOf(2, "strokes"));
        assertThat(cycle).isGreaterThanOrEqualTo(atFailover + 10);
        assertThat(strokes).isGreaterThanOrEqualTo(atFailover + 10);
        assertThat(primary()).isIn(2, 3);
    }

    @Test
    void severalPartsSpreadTheirPrimariesAndANodeFailureFailsOverOnlyItsOwnParts() throws Exception {
        Map<String, Configuration> byKey = new TreeMap<>();
        for (int node = 1; node <= 3; node++) {
            configure(node, "line-a", Map.of("replicas", "1,2,3"));
            byKey.put("a" + node, configurations.remove(node));
            configure(node, "line-b", Map.of("replicas", "2,3,1"));
            byKey.put("b" + node, configurations.remove(node));
        }
        try {
            await("six replicas", () -> partsNamed("line-a").size() == 3 && partsNamed("line-b").size() == 3);
            await("line-a led by node 1, line-b by node 2", () -> primaryOf("line-a") == 1 && primaryOf("line-b") == 2);
            get(partsNamed("line-a").get(2).submit(Operation.put("x", Value.ofInt64(1))));
            get(partsNamed("line-b").get(3).submit(Operation.put("y", Value.ofInt64(2))));
            long viewB = partsNamed("line-b").get(2).status().view();
            // Node 1 fails: both of its replicas go away.
            byKey.remove("a1").delete();
            byKey.remove("b1").delete();
            await("line-a has a new primary", () -> primaryOf("line-a") == 2 || primaryOf("line-a") == 3);
            assertThat(get(partsNamed("line-a").get(3).submit(Operation.put("x", Value.ofInt64(3)))).view())
                    .as("line-a failed over to a new view").isGreaterThan(0);
            assertThat(get(partsNamed("line-b").get(3).submit(Operation.put("y", Value.ofInt64(4)))).view())
                    .as("line-b kept its primary and view").isEqualTo(viewB);
            assertThat(primaryOf("line-b")).isEqualTo(2);
        } finally {
            for (Configuration c : byKey.values()) c.delete();
        }
    }

    Map<Integer, PartState> partsNamed(String name) {
        Map<Integer, PartState> out = new TreeMap<>();
        try {
            for (ServiceReference<PartState> ref : context.getServiceReferences(PartState.class, "(psr.part=" + name + ")")) {
                PartState s = context.getService(ref);
                if (s != null) out.put((Integer) ref.getProperty("psr.node"), s);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return out;
    }

    int primaryOf(String name) {
        for (Map.Entry<Integer, PartState> e : partsNamed(name).entrySet()) {
            if (e.getValue().status().role() == Role.PRIMARY) return e.getKey();
        }
        return -1;
    }

    long valueOf(int node, String key) {
        PartState p = parts().get(node);
        if (p == null) return -1;
        Value v = localOrEmpty(p, key).get(key);
        return v == null ? 0 : v.asInt64();
    }

    @Test
    void aBadConfigurationLeavesNoServiceAndSaysWhichPropertyIsWrong() throws Exception {
        configure(1, "bad", Map.of("replicas", "2,3,4"));
        await("component configuration failed", () -> failure("bad").isPresent());
        assertThat(failure("bad").get()).contains("property replicas = '2,3,4' is not allowed: expected a list that contains this node (1)");
        assertThat(parts()).isEmpty();
    }

    Optional<String> failure(String part) {
        for (ComponentDescriptionDTO d : scr.getComponentDescriptionDTOs()) {
            if (!d.name.equals("psr.part")) continue;
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(d)) {
                if (part.equals(c.properties.get("part")) && c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) {
                    return Optional.of(String.valueOf(c.failure));
                }
            }
        }
        return Optional.empty();
    }

    @Test
    void shellCommandsShowStatusAndReadAndWrite() throws Exception {
        configureAll("oven");
        await("a primary, every replica quorum-connected", () -> primary() > 0 && parts().size() == 3
                && parts().values().stream().allMatch(p -> p.status().quorumConnected()));
        ServiceReference<?> ref = context.getServiceReferences("psr.consensus.part.PsrCommands", null)[0];
        Object commands = context.getService(ref);
        Method put = commands.getClass().getMethod("put", String[].class);
        Method get = commands.getClass().getMethod("get", String[].class);
        Method status = commands.getClass().getMethod("status", String[].class);
        assertThat((String) put.invoke(commands, (Object) new String[] {"oven", "zone1", "double", "180.5"})).startsWith("committed at op");
        assertThat((String) get.invoke(commands, (Object) new String[] {"oven", "zone1"})).contains("zone1").contains("double").contains("180.5");
        // Three replicas of one part share this framework; the commands show one of them.
        String oneLine = (String) status.invoke(commands, (Object) new String[] {"-1", "oven"});
        assertThat(oneLine.lines()).hasSize(1).allMatch(l -> l.startsWith("part=oven node=") && l.contains(" qc=true "));
        assertThat((String) status.invoke(commands, (Object) new String[] {"oven"})).contains("quorum-connected yes");
    }

    /** A local read, or nothing while the replica refuses it (restarted, not yet caught up). */
    static Map<String, Value> localOrEmpty(PartState p, String prefix) {
        try {
            return p.readLocal(prefix);
        } catch (psr.api.state.StateException e) {
            return Map.of();
        }
    }
}
