package psr.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import psr.api.state.Operation;
import psr.api.state.PartState;
import psr.api.state.Role;
import psr.api.state.Value;
import psr.api.transport.Receiver;
import psr.api.transport.Transport;

/**
 * The MQTT bridge bundle in Felix, wired by DS and ConfigAdmin to a one-replica part, publishing to a mosquitto
 * process this test starts on 127.0.0.1 (with CI=true a missing mosquitto fails the test): metatype, a bad value
 * leaving it inactive with one line, the password never in component properties, and stopping and starting the
 * bundle on a running node (status offline, then the committed state republished).
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class MqttBridgeTest {
    static final long WAIT_MS = 15_000;

    @InjectBundleContext
    BundleContext context;

    @InjectService
    ConfigurationAdmin configurationAdmin;

    @InjectService
    ServiceComponentRuntime scr;

    @InjectService
    MetaTypeService metatype;

    @TempDir
    Path temp;

    private final List<Configuration> configurations = new ArrayList<>();
    private ServiceRegistration<Transport> transport;
    private Process mosquitto;
    private int port;
    private MqttClient subscriber;
    private final Map<String, String> retained = new ConcurrentHashMap<>();

    @BeforeEach
    void startBrokerAndTransport() throws Exception {
        String exe = null;
        for (String p : new String[] {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto"}) if (new File(p).canExecute()) exe = p;
        String how = "mosquitto is not installed: apt-get install -y mosquitto (.ci/run does this)";
        if (exe == null && "true".equals(System.getenv("CI"))) throw new AssertionError(how);
        org.junit.jupiter.api.Assumptions.assumeTrue(exe != null, how);
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path conf = temp.resolve("mosquitto.conf");
        Files.writeString(conf, "listener " + port + " 127.0.0.1\nallow_anonymous true\npersistence false\n");
        mosquitto = new ProcessBuilder(exe, "-c", conf.toString()).redirectErrorStream(true).redirectOutput(temp.resolve("mosquitto.log").toFile()).start();
        await("mosquitto listening", () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        });
        // A single replica needs no peers; the transport only has to be there.
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("psr.node", 1);
        transport = context.registerService(Transport.class, new Transport() {
            @Override public int localNode() { return 1; }
            @Override public int maxMessageBytes() { return 1 << 20; }
            @Override public Map<String, Long> counters() { return Map.of(); }
            @Override public void send(String part, int toNode, byte[] message) {}
            @Override public Registration register(String part, Receiver receiver) { return () -> {}; }
        }, props);
        subscriber = new MqttClient("tcp://127.0.0.1:" + port, "itest-scada", new MemoryPersistence());
        subscriber.setCallback(new MqttCallback() {
            @Override public void connectionLost(Throwable cause) {}
            @Override public void messageArrived(String topic, MqttMessage m) {
                String payload = new String(m.getPayload(), StandardCharsets.UTF_8);
                if (payload.isEmpty()) retained.remove(topic); else retained.put(topic, payload);
            }
            @Override public void deliveryComplete(IMqttDeliveryToken token) {}
        });
        subscriber.connect();
        subscriber.subscribe("psr/itest/#", 1);
    }

    @AfterEach
    void stopAll() throws Exception {
        try {
            for (Configuration c : configurations) c.delete();
            await("bridge gone", () -> bridgeConfigurations().isEmpty());
            await("part gone", () -> context.getServiceReferences(PartState.class, null).isEmpty());
        } finally {
            // Whatever failed above, the broker process and the services this test registered do not outlive it.
            if (transport != null) transport.unregister();
            if (subscriber != null) {
                if (subscriber.isConnected()) subscriber.disconnect();
                subscriber.close();
            }
            if (mosquitto != null) {
                mosquitto.destroy();
                if (!mosquitto.waitFor(5, TimeUnit.SECONDS)) mosquitto.destroyForcibly();
            }
        }
    }

    void configurePart() throws Exception {
        Configuration c = configurationAdmin.getFactoryConfiguration("psr.part", "mqtt-boiler", "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("part", "boiler");
        p.put("node", 1);
        p.put("replicas", "1");
        p.put("durability", "diskless");
        p.put("start.mode", "new-group");
        p.put("transport.target", "(psr.node=1)");
        c.update(p);
        configurations.add(c);
    }

    Configuration configureBridge(String name, Map<String, Object> extra) throws Exception {
        Configuration c = configurationAdmin.getFactoryConfiguration("psr.bridge.mqtt", name, "?");
        Dictionary<String, Object> p = new Hashtable<>();
        p.put("cluster", "itest");
        p.put("node", 1);
        p.put("broker.uris", "tcp://127.0.0.1:" + port);
        p.put("reconnect.initial.ms", 50);
        p.put("reconnect.max.ms", 300);
        for (Map.Entry<String, Object> e : extra.entrySet()) p.put(e.getKey(), e.getValue());
        c.update(p);
        configurations.add(c);
        return c;
    }

    List<ComponentConfigurationDTO> bridgeConfigurations() {
        Bundle bridge = bridgeBundle();
        ComponentDescriptionDTO d = scr.getComponentDescriptionDTO(bridge, "psr.bridge.mqtt");
        return d == null ? List.of() : List.copyOf(scr.getComponentConfigurationDTOs(d));
    }

    Bundle bridgeBundle() {
        for (Bundle b : context.getBundles()) if (b.getSymbolicName().equals("psr.bridge.mqtt")) return b;
        throw new AssertionError("psr.bridge.mqtt is not installed");
    }

    PartState part() {
        await("the part, primary", () -> {
            PartState p = partOrNull();
            return p != null && p.status().role() == Role.PRIMARY;
        });
        return partOrNull();
    }

    PartState partOrNull() {
        var ref = context.getServiceReference(PartState.class);
        return ref == null ? null : context.getService(ref);
    }

    @Test
    void theBridgePublishesThePartAndStoppingItsBundleSaysOfflineThenStartingItRepublishes() throws Exception {
        configurePart();
        configureBridge("main", Map.of("username", "scada", ".password", "hunter2"));
        PartState boiler = part();
        boiler.submit(Operation.put("setpoint", Value.ofDouble(71.5))).toCompletableFuture().get(10, TimeUnit.SECONDS);
        await("published", () -> retained.getOrDefault("psr/itest/boiler/setpoint", "").startsWith("{\"value\":71.5,\"type\":\"double\""));
        assertThat(retained.get("psr/itest/$nodes/1")).isEqualTo("online");
        assertThat(retained.get("psr/itest/boiler/$primary")).isEqualTo("{\"node\":1,\"view\":0}");

        ComponentConfigurationDTO active = bridgeConfigurations().get(0);
        assertThat(active.state).isEqualTo(ComponentConfigurationDTO.ACTIVE);
        assertThat(active.properties).containsEntry("username", "scada").doesNotContainKey(".password");
        assertThat(active.properties.values()).noneMatch(v -> String.valueOf(v).contains("hunter2"));

        bridgeBundle().stop();
        await("offline said on stop", () -> "offline".equals(retained.get("psr/itest/$nodes/1")));
        boiler.submit(Operation.put("setpoint", Value.ofDouble(80))).toCompletableFuture().get(10, TimeUnit.SECONDS);
        boiler.submit(Operation.put("while-stopped", Value.ofBool(true))).toCompletableFuture().get(10, TimeUnit.SECONDS);
        bridgeBundle().start();
        await("online again and the committed state republished", () -> "online".equals(retained.get("psr/itest/$nodes/1"))
                && retained.getOrDefault("psr/itest/boiler/setpoint", "").startsWith("{\"value\":80.0,")
                && retained.containsKey("psr/itest/boiler/while-stopped"));
    }

    @Test
    void aBadValueLeavesTheBridgeInactiveWithOneLineNamingIt() throws Exception {
        configureBridge("bad", Map.of("qos", 3, ".password", "hunter2", "username", "u"));
        await("failed activation", () -> failure().isPresent());
        assertThat(failure().get()).contains("property qos = '3' is not allowed: expected an integer from 0 to 2").doesNotContain("hunter2");
        assertThat(none(context.getServiceReferences("psr.bridge.mqtt.BridgeComponent", null))).as("no bridge service").isTrue();
    }

    @Test
    void theConfigurationIsDescribedByMetatypeWithAPasswordAttribute() {
        ObjectClassDefinition ocd = metatype.getMetaTypeInformation(bridgeBundle()).getObjectClassDefinition("psr.bridge.mqtt", null);
        Map<String, Integer> types = new java.util.TreeMap<>();
        for (AttributeDefinition a : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) types.put(a.getID(), a.getType());
        assertThat(types).containsKeys("node", "broker.uris", "qos", "commands.enabled", "commands.allow", "prefix", "cluster");
        assertThat(types.get(".password")).isEqualTo(AttributeDefinition.PASSWORD);
    }

    static boolean none(Object[] references) {
        return references == null || references.length == 0;
    }

    Optional<String> failure() {
        for (ComponentConfigurationDTO c : bridgeConfigurations()) {
            if (c.state == ComponentConfigurationDTO.FAILED_ACTIVATION) return Optional.of(String.valueOf(c.failure));
        }
        return Optional.empty();
    }

    static void await(String what, Check condition) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (true) {
            try {
                if (condition.ok()) return;
            } catch (Exception e) {
                throw new AssertionError(what + ": " + e, e);
            }
            assertThat(System.nanoTime()).as("within %d ms: %s", WAIT_MS, what).isLessThan(end);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }
}
