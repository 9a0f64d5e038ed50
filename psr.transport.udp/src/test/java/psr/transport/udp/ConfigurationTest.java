package psr.transport.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.ComponentException;
import org.osgi.service.log.Logger;

import psr.api.transport.Transport;

/** Every bad value is refused with a message naming the property, the value and what is allowed. */
class ConfigurationTest {

    /** A valid configuration as FileInstall gives it from a .cfg file: every value a string. */
    private static Map<String, Object> cfg() {
        Map<String, Object> p = new HashMap<>();
        p.put("node.id", "1");
        p.put("cluster.id", "7");
        p.put("peers", "1=127.0.0.1:7401, 2=127.0.0.1:7402, 3=127.0.0.1:7403");
        p.put("keys", TestNet.KEY1);
        return p;
    }

    @Test
    void aFileInstallStyleConfigurationParses() {
        Settings s = Settings.parse(cfg());
        assertEquals(1, s.nodeId());
        assertEquals(7, s.clusterId());
        assertEquals(new InetSocketAddress("127.0.0.1", 7401), s.bind(), "bind taken from the node's own entry");
        assertEquals(3, s.peers().size());
        assertEquals(1, s.keys().size());
        assertEquals(32, s.keys().get(0).secret().length);
        assertEquals(1400, s.datagramBytesMax());
        assertEquals(1024 * 1024, s.messageBytesMax());
        assertEquals(1024, s.replayWindow());
    }

    @Test
    void keysMayComeFromAFileOnlyItsOwnerMayRead(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path file = dir.resolve("cluster.keys");
        java.nio.file.Files.writeString(file, "# rotated 2026-12\n" + TestNet.KEY1 + "\n");
        java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Map<String, Object> p = cfg();
        p.remove("keys");
        p.put("keys.file", file.toString());
        Settings s = Settings.parse(p);
        assertEquals(Settings.parse(cfg()).keys().get(0).id(), s.keys().get(0).id());
        assertEquals(32, s.keys().get(0).secret().length);

        java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Settings.parse(p));
        assertEquals("property keys.file = '" + file + "' is not allowed: a file only its owner may read: it is rw-r--r-- (chmod 600 "
                + file + ")", e.getMessage());
        assertFalse(e.getMessage().contains(TestNet.KEY1.substring(TestNet.KEY1.indexOf(':') + 1)), "no key material in the message");

        Map<String, Object> both = cfg();
        both.put("keys.file", file.toString());
        e = assertThrows(IllegalArgumentException.class, () -> Settings.parse(both));
        assertTrue(e.getMessage().contains("either keys or keys.file, not both"), e.getMessage());
    }

    /** The receive buffer asked for by default holds a few of the largest messages; 0 still keeps the OS default. */
    @Test
    void theDefaultReceiveBufferHoldsSeveralLargestMessages() {
        Settings s = Settings.parse(cfg());
        assertEquals(4 * 1024 * 1024, s.receiveBufferBytes());
        assertTrue(s.receiveBufferBytes() >= 4L * s.messageBytesMax(), "room for four messages of the default limit");
        Map<String, Object> p = cfg();
        p.put("socket.receive.buffer.bytes", "0");
        assertEquals(0, Settings.parse(p).receiveBufferBytes());
    }

    @Test
    void typedValuesAndArraysParse() {
        Map<String, Object> p = cfg();
        p.put("node.id", 2);
        p.put("cluster.id", 4294967295L);
        p.put("peers", new String[] {"1=127.0.0.1:7401", "3=127.0.0.1:7403"});
        p.put("keys", new String[] {TestNet.KEY2, TestNet.KEY1});
        p.put("bind.address", "127.0.0.1");
        p.put("bind.port", 7402);
        p.put("dscp", 46);
        Settings s = Settings.parse(p);
        assertEquals(2, s.keys().get(0).id(), "the first key signs");
        assertEquals(7402, s.bind().getPort());
        assertEquals(46, s.dscp());
    }

    @Test
    void valuesAreReadAsEveryComponentReadsThem() {
        // A typed whole number is that number (the part took it, the transport refused "it is a Double"); a fraction is
        // refused; a one-element list is its value (bind.address showed as '[Ljava.lang.String;@...').
        Map<String, Object> p = cfg();
        p.put("dscp", 46.0);
        p.put("bind.address", new String[] {"127.0.0.1"});
        p.put("bind.port", List.of("7401"));
        Settings s = Settings.parse(p);
        assertEquals(46, s.dscp());
        assertEquals(new InetSocketAddress("127.0.0.1", 7401), s.bind());
        p.put("dscp", 46.5);
        assertEquals("property dscp = '46.5' is not allowed: expected an integer from 0 to 63 (e.g. 46 for EF)",
                assertThrows(psr.settings.BadSetting.class, () -> Settings.parse(p)).getMessage());
        // A blank value is the default, as for every component.
        p.put("dscp", " ");
        p.put("replay.window", "");
        assertEquals(0, Settings.parse(p).dscp());
        assertEquals(1024, Settings.parse(p).replayWindow());
    }

    @Test
    void everyDefaultIsTheMetatypeDefault() throws Exception {
        // Settings has no defaults of its own: a configuration that sets none of the optional properties gets exactly
        // what the metatype annotation (and so Metatype and the component description) says.
        Settings s = Settings.parse(cfg());
        Map<String, Object> parsed = new java.util.TreeMap<>();
        parsed.put("bind.address", "");
        parsed.put("bind.interface", s.bindInterface());
        parsed.put("bind.port", -1);
        parsed.put("datagram.bytes.max", s.datagramBytesMax());
        parsed.put("message.bytes.max", s.messageBytesMax());
        parsed.put("dscp", s.dscp());
        parsed.put("socket.send.buffer.bytes", s.sendBufferBytes());
        parsed.put("socket.receive.buffer.bytes", s.receiveBufferBytes());
        parsed.put("replay.window", s.replayWindow());
        parsed.put("reassembly.timeout.ms", s.reassemblyTimeoutMillis());
        parsed.put("reassembly.bytes.max", s.reassemblyBytesMax());
        parsed.put("reassembly.bytes.per.peer", s.reassemblyBytesPerPeer());
        parsed.put("send.queue.messages", s.sendQueueMessages());
        parsed.put("send.queue.bytes", s.sendQueueBytes());
        Map<String, Object> annotated = new java.util.TreeMap<>();
        for (java.lang.reflect.Method m : UdpTransportComponent.Config.class.getDeclaredMethods()) {
            if (m.getDefaultValue() != null) annotated.put(psr.settings.Defaults.propertyName(m.getName()), m.getDefaultValue());
        }
        assertEquals(annotated.keySet(), parsed.keySet(), "every default is checked");
        // bind.port -1 means "this node's entry in peers"; the parsed port is that entry's.
        assertEquals(7401, s.bind().getPort());
        parsed.put("bind.address", annotated.get("bind.address"));
        assertEquals(annotated.toString(), parsed.toString());
    }

    static Stream<Arguments> badValues() {
        String k = TestNet.KEY1;
        return Stream.of(
                Arguments.of("node.id", null, "property node.id = (missing) is not allowed: expected an integer from 0 to 65535 (required)"),
                Arguments.of("node.id", "one", "property node.id = 'one' is not allowed: expected an integer from 0 to 65535"),
                Arguments.of("node.id", "70000", "property node.id = '70000' is not allowed: expected an integer from 0 to 65535"),
                Arguments.of("cluster.id", "-1", "property cluster.id = '-1' is not allowed: expected an integer from 0 to 4294967295"),
                Arguments.of("peers", "", "property peers = (missing) is not allowed: it is required; expected a list of id=address:port"),
                Arguments.of("peers", " , ", "property peers = ' , ' is not allowed: it is empty; expected a list of id=address:port"),
                Arguments.of("peers", "2:127.0.0.1:7402", "entry '2:127.0.0.1:7402' is not id=address:port"),
                Arguments.of("peers", "2=plc-2.example:7402", "entry '2=plc-2.example:7402' has no usable IP address"),
                Arguments.of("peers", "2=127.0.0.1:0", "entry '2=127.0.0.1:0' has an id or port out of range"),
                Arguments.of("peers", "2=127.0.0.1:7402,2=127.0.0.1:7403", "node 2 appears twice"),
                Arguments.of("peers", "1=127.0.0.1:7401", "it names no node other than this one (1)"),
                Arguments.of("keys", null, "property keys = (missing) is not allowed: it has 0 entries; expected one or two entries"),
                Arguments.of("keys", k + "," + TestNet.KEY2 + ",3=hex:00112233445566778899aabbccddeeff", "it has 3 entries"),
                Arguments.of("keys", "1=hex:0011", "property keys = '1=hex:<secret>' is not allowed: key 1 has 2 bytes"),
                Arguments.of("keys", "1=0011223344556677889900112233445566", "key 1 is not hex:... or base64:..."),
                Arguments.of("keys", "1=hex:0g11223344556677889900112233445566", "key 1 is not hex:... or base64:..."),
                Arguments.of("keys", "300=hex:00112233445566778899001122334455", "an entry has no key id from 0 to 255"),
                Arguments.of("keys", k + "," + k, "key id 1 appears twice"),
                Arguments.of("bind.address", "localhost", "property bind.address = 'localhost' is not allowed: expected an IPv4 address"),
                Arguments.of("bind.port", "70000", "property bind.port = '70000' is not allowed: expected -1"),
                Arguments.of("datagram.bytes.max", "100", "property datagram.bytes.max = '100' is not allowed: expected an integer from 256 to 65507"),
                Arguments.of("datagram.bytes.max", "70000", "expected an integer from 256 to 65507"),
                Arguments.of("message.bytes.max", "0", "property message.bytes.max = '0' is not allowed: expected an integer from 1 to 16777216"),
                Arguments.of("dscp", "64", "property dscp = '64' is not allowed: expected an integer from 0 to 63"),
                Arguments.of("socket.send.buffer.bytes", "-5", "property socket.send.buffer.bytes = '-5' is not allowed"),
                Arguments.of("socket.receive.buffer.bytes", "big", "property socket.receive.buffer.bytes = 'big' is not allowed: expected 0 (the OS default) or a size in bytes up to 67108864"),
                Arguments.of("replay.window", "100", "property replay.window = '100' is not allowed: expected a multiple of 64"),
                Arguments.of("reassembly.timeout.ms", "5", "property reassembly.timeout.ms = '5' is not allowed: expected a time in milliseconds from 10 to 600000"),
                Arguments.of("reassembly.bytes.per.peer", "1000", "property reassembly.bytes.per.peer = '1000' is not allowed: expected at least message.bytes.max (1048576)"),
                Arguments.of("reassembly.bytes.max", "1048576", "property reassembly.bytes.max = '1048576' is not allowed: expected at least reassembly.bytes.per.peer (2097152)"),
                Arguments.of("send.queue.messages", "0", "property send.queue.messages = '0' is not allowed"),
                Arguments.of("send.queue.bytes", "10", "property send.queue.bytes = '10' is not allowed: expected at least message.bytes.max"));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("badValues")
    void aBadValueIsNamedWithWhatIsAllowed(String property, String value, String expected) {
        Map<String, Object> p = cfg();
        if (value == null) {
            p.remove(property);
        } else {
            p.put(property, value);
        }
        psr.settings.BadSetting e = assertThrows(psr.settings.BadSetting.class, () -> Settings.parse(p));
        assertTrue(e.getMessage().contains(expected), "message was: " + e.getMessage());
        assertEquals(property, e.property);
        assertFalse(e.getMessage().contains("0102030405"), "no key material in messages");
    }

    @Test
    void withoutAnOwnEntryTheBindAddressIsRequired() {
        Map<String, Object> p = cfg();
        p.put("peers", "2=127.0.0.1:7402");
        psr.settings.BadSetting e = assertThrows(psr.settings.BadSetting.class, () -> Settings.parse(p));
        assertTrue(e.getMessage().startsWith("property bind.address = (missing) is not allowed: it is empty and peers has no entry for this node (1)"),
                e.getMessage());
    }

    @Test
    void tooManyFragmentsForTheDatagramSizeIsRefused() {
        Map<String, Object> p = cfg();
        p.put("datagram.bytes.max", "256");
        p.put("message.bytes.max", "16777216");
        psr.settings.BadSetting e = assertThrows(psr.settings.BadSetting.class, () -> Settings.parse(p));
        assertTrue(e.getMessage().contains("property message.bytes.max = '16777216' is not allowed: with datagram.bytes.max = 256"),
                e.getMessage());
    }

    // ---- the DS component, with a hand-made BundleContext ----

    private final List<Object[]> registered = new ArrayList<>();
    private final List<String> logged = new ArrayList<>();
    private boolean unregistered;

    private BundleContext context() {
        ServiceRegistration<?> registration = (ServiceRegistration<?>) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {ServiceRegistration.class}, (proxy, method, args) -> {
                    if (method.getName().equals("unregister")) {
                        unregistered = true;
                    }
                    return null;
                });
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("registerService")) {
                        registered.add(args);
                        return registration;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private Logger logger() {
        return (Logger) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, args) -> {
                    if (args != null && args.length > 0 && args[0] instanceof String s) {
                        logged.add(method.getName() + " " + s);
                    }
                    return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
                });
    }

    @Test
    void theComponentRegistersTransportOnlyForAGoodConfigurationAndFreesThePort() throws Exception {
        int[] ports = TestNet.freePorts(2);
        Map<String, Object> p = TestNet.config(1, ports);
        UdpTransportComponent component = new UdpTransportComponent(null, p, context(), logger());
        assertEquals(1, registered.size());
        assertEquals(Transport.class, registered.get(0)[0]);
        Transport transport = (Transport) registered.get(0)[1];
        Dictionary<?, ?> properties = (Dictionary<?, ?>) registered.get(0)[2];
        assertEquals(1, properties.get("psr.node"));
        assertEquals(TestNet.CLUSTER, properties.get("psr.cluster"));
        assertEquals(1, transport.localNode());
        assertTrue(logged.stream().anyMatch(l -> l.startsWith("info UDP transport started: node 1, cluster 7")), logged.toString());
        assertFalse(logged.toString().contains("0102030405"), "no key material in the log");
        component.deactivate();
        assertTrue(unregistered);
        try (DatagramChannel ch = DatagramChannel.open()) {
            ch.bind(new InetSocketAddress(TestNet.LOOPBACK, ports[0]));
        }
    }

    @Test
    void inlineKeysAreTakenOutOfTheComponentPropertiesAndStillUsed() throws Exception {
        // What ConfigAdmin hands SCR passes the bundle's plugin first: the keys are gone from what scr:info shows.
        int[] ports = TestNet.freePorts(2);
        java.util.Hashtable<String, Object> configuration = new java.util.Hashtable<>(TestNet.config(1, ports));
        configuration.put("service.pid", UdpTransportComponent.PID);
        Secrets plugin = new Secrets();
        plugin.modifyConfiguration(null, configuration);
        assertFalse(configuration.containsKey(Settings.KEYS), "the component's properties carry no key");
        Map<String, Object> componentProperties = new HashMap<>();
        configuration.forEach(componentProperties::put);
        UdpTransportComponent component = new UdpTransportComponent(null, componentProperties, context(), logger());
        try {
            assertEquals(1, registered.size(), "the transport started with the key the plugin held");
            Dictionary<?, ?> serviceProperties = (Dictionary<?, ?>) registered.get(0)[2];
            for (java.util.Enumeration<?> e = serviceProperties.elements(); e.hasMoreElements();) {
                assertFalse(String.valueOf(e.nextElement()).contains("0102030405"), "no key material in service properties");
            }
        } finally {
            component.deactivate();
        }
        // A configuration without keys after one with them: the plugin forgets them, and the transport refuses to start.
        java.util.Hashtable<String, Object> without = new java.util.Hashtable<>(TestNet.config(1, ports));
        without.remove(Settings.KEYS);
        without.put("service.pid", UdpTransportComponent.PID);
        plugin.modifyConfiguration(null, without);
        Map<String, Object> next = new HashMap<>();
        without.forEach(next::put);
        ComponentException e = assertThrows(ComponentException.class, () -> new UdpTransportComponent(null, next, context(), logger()));
        assertTrue(e.getMessage().contains("property keys = (missing) is not allowed"), e.getMessage());
    }

    @Test
    void aBadConfigurationRegistersNothingAndSaysWhy() {
        Map<String, Object> p = cfg();
        p.put("dscp", "99");
        ComponentException e = assertThrows(ComponentException.class,
                () -> new UdpTransportComponent(null, p, context(), logger()));
        assertEquals("configuration psr.transport.udp: property dscp = '99' is not allowed: expected an integer "
                + "from 0 to 63 (e.g. 46 for EF)", e.getMessage());
        assertTrue(registered.isEmpty());
    }

    @Test
    void aPortInUseIsNamed() throws Exception {
        try (DatagramChannel taken = DatagramChannel.open()) {
            taken.bind(new InetSocketAddress(TestNet.LOOPBACK, 0));
            int port = ((InetSocketAddress) taken.getLocalAddress()).getPort();
            Map<String, Object> p = TestNet.config(1, new int[] {port, port + 1});
            ComponentException e = assertThrows(ComponentException.class,
                    () -> new UdpTransportComponent(null, p, context(), logger()));
            assertTrue(e.getMessage().startsWith("configuration psr.transport.udp: property bind.port = '" + port
                    + "' is not allowed: cannot bind 127.0.0.1:" + port), e.getMessage());
            assertTrue(registered.isEmpty());
            assertNotNull(e.getMessage());
        }
    }
}
