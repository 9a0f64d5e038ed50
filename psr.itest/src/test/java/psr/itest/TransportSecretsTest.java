package psr.itest;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.DatagramSocket;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import psr.api.transport.Transport;

/**
 * The UDP transport bundle in Felix, configured through ConfigAdmin with its cluster key inline: the transport starts
 * with that key, yet the key is in none of the component's properties (what {@code scr:info} prints, from these DTOs)
 * nor in the service's; Metatype describes {@code keys} as a password.
 */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class TransportSecretsTest {
    static final long WAIT_MS = 15_000;
    /** Not a node id any other in-framework test registers a transport for. */
    static final int NODE = 41;
    static final String KEY = "5a5a5a5a0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c";

    @InjectBundleContext
    BundleContext context;

    @InjectService
    ConfigurationAdmin configurationAdmin;

    @InjectService
    ServiceComponentRuntime scr;

    @InjectService
    MetaTypeService metatype;

    private Configuration configuration;

    @AfterEach
    void deleteConfiguration() throws Exception {
        if (configuration != null) configuration.delete();
        await("the transport gone", () -> transportReference() == null);
    }

    @Test
    void anInlineKeyIsUsedButNeverInTheComponentProperties() throws Exception {
        int[] ports = new int[2];
        for (int i = 0; i < 2; i++) {
            try (DatagramSocket s = new DatagramSocket(0)) {
                ports[i] = s.getLocalPort();
            }
        }
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("node.id", String.valueOf(NODE));
        props.put("cluster.id", "7");
        props.put("peers", NODE + "=127.0.0.1:" + ports[0] + ", " + (NODE + 1) + "=127.0.0.1:" + ports[1]);
        props.put("keys", "1=hex:" + KEY);
        configuration = configurationAdmin.getConfiguration("psr.transport.udp", "?");
        configuration.update(props);

        await("the transport registered (it started with the key)", () -> transportReference() != null);
        ServiceReference<Transport> reference = transportReference();
        for (String key : reference.getPropertyKeys()) {
            assertThat(String.valueOf(reference.getProperty(key))).as("service property " + key).doesNotContain(KEY);
        }
        // A component that registers its service while activating can be seen SATISFIED for a moment: wait for ACTIVE.
        await("the transport component ACTIVE", () -> transportConfigurations().stream().anyMatch(c -> c.state == ComponentConfigurationDTO.ACTIVE));
        List<ComponentConfigurationDTO> configurations = transportConfigurations();
        assertThat(configurations).hasSize(1);
        ComponentConfigurationDTO active = configurations.get(0);
        assertThat(active.state).isEqualTo(ComponentConfigurationDTO.ACTIVE);
        assertThat(active.properties).containsEntry("cluster.id", "7").doesNotContainKey("keys");
        assertThat(active.properties.values()).noneMatch(v -> String.valueOf(v).contains(KEY));
        // ConfigAdmin itself keeps the key as written (which is why the README says to prefer keys.file).
        assertThat(String.valueOf(configuration.getProperties().get("keys"))).contains(KEY);
    }

    @Test
    void theKeysAttributeIsAPassword() {
        ObjectClassDefinition ocd = metatype.getMetaTypeInformation(transportBundle()).getObjectClassDefinition("psr.transport.udp", null);
        Map<String, Integer> types = new java.util.TreeMap<>();
        for (AttributeDefinition a : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) types.put(a.getID(), a.getType());
        assertThat(types).containsKeys("node.id", "cluster.id", "peers", "keys.file");
        assertThat(types.get("keys")).isEqualTo(AttributeDefinition.PASSWORD);
    }

    ServiceReference<Transport> transportReference() throws Exception {
        var references = context.getServiceReferences(Transport.class, "(&(psr.transport=udp)(psr.node=" + NODE + "))");
        return references.isEmpty() ? null : references.iterator().next();
    }

    List<ComponentConfigurationDTO> transportConfigurations() {
        ComponentDescriptionDTO d = scr.getComponentDescriptionDTO(transportBundle(), "psr.transport.udp");
        return d == null ? List.of() : List.copyOf(scr.getComponentConfigurationDTOs(d));
    }

    Bundle transportBundle() {
        for (Bundle b : context.getBundles()) if ("psr.transport.udp".equals(b.getSymbolicName())) return b;
        throw new AssertionError("psr.transport.udp is not installed");
    }

    static void await(String what, MqttBridgeTest.Check condition) throws Exception {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.ok()) {
            assertThat(System.nanoTime()).as("within %d ms: %s", WAIT_MS, what).isLessThan(end);
            Thread.sleep(10);
        }
    }
}
