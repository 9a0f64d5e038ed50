package psr.transport.udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static psr.transport.udp.TestNet.await;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.ComponentException;
import org.osgi.service.log.Logger;

import psr.api.osal.NetworkInterfaces;
import psr.api.transport.Transport;
import psr.osal.linux.JavaNetworkInterfaces;
import psr.transport.udp.TestNet.Inbox;

/**
 * {@code bind.interface}: the socket binds to an address of a network interface named as the platform names it,
 * looked up through the OSAL {@link NetworkInterfaces} service (here the Linux backend and its loopback {@code lo},
 * or a fake for the cases this host does not have).
 */
class BindInterfaceTest {

    private static final NetworkInterfaces LINUX = new JavaNetworkInterfaces();

    private static Map<String, Object> config(int node, int[] ports, String bindInterface) {
        Map<String, Object> p = TestNet.config(node, ports);
        p.put(Settings.BIND_INTERFACE, bindInterface);
        return p;
    }

    @Test
    void theSocketBindsToTheNamedInterfacesAddressAndCarriesMessages() throws Exception {
        int[] ports = TestNet.freePorts(2);
        Settings s = Settings.parse(config(1, ports, "lo"), LINUX);
        assertEquals(new InetSocketAddress("127.0.0.1", ports[0]), s.bind(), "lo's IPv4 address, the port of node 1's entry");
        assertEquals("lo", s.bindInterface());
        assertTrue(s.describe().contains("bound by interface lo (127.0.0.1)"), s.describe());

        try (UdpTransport one = new UdpTransport(s, TestNet.QUIET).start();
                UdpTransport two = TestNet.start(TestNet.config(2, ports))) {
            Inbox inbox = new Inbox();
            two.register("p", inbox);
            one.send("p", 2, new byte[] {1, 2, 3});
            Inbox.Got got = inbox.take();
            assertEquals(1, got.from());
            assertArrayEquals(new byte[] {1, 2, 3}, got.message());
        }
    }

    @Test
    void anUnknownInterfaceIsNamedWithTheInterfacesThatExist() throws Exception {
        psr.settings.BadSetting e = assertThrows(psr.settings.BadSetting.class,
                () -> Settings.parse(config(1, TestNet.freePorts(2), "psr-none0"), LINUX));
        assertEquals(Settings.BIND_INTERFACE, e.property);
        assertTrue(e.getMessage().startsWith("property bind.interface = 'psr-none0' is not allowed: this host has no "
                + "network interface psr-none0; expected an interface with an IPv4 address (the family of the peers' addresses); "
                + "interfaces present: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("lo (127.0.0.1"), e.getMessage());
        for (String name : LINUX.names()) assertTrue(e.getMessage().contains(name + " ("), name + " listed: " + e.getMessage());
    }

    @Test
    void anInterfaceWithNoAddressOfThePeersFamilyIsRefused() throws Exception {
        Fake fake = new Fake().add("eth0", true, "10.1.2.3").add("eth1", true, "fe80::1").add("eth2", false);
        int[] ports = TestNet.freePorts(2);

        psr.settings.BadSetting e = assertThrows(psr.settings.BadSetting.class, () -> Settings.parse(config(1, ports, "eth1"), fake));
        assertEquals("property bind.interface = 'eth1' is not allowed: interface eth1 has no IPv4 address now; expected "
                + "an interface with an IPv4 address (the family of the peers' addresses); interfaces present: "
                + "eth0 (10.1.2.3), eth1 (no IPv4 address), eth2 (down)", e.getMessage());

        e = assertThrows(psr.settings.BadSetting.class, () -> Settings.parse(config(1, ports, "eth2"), fake));
        assertTrue(e.getMessage().startsWith("property bind.interface = 'eth2' is not allowed: interface eth2 is down; "), e.getMessage());

        assertEquals(new InetSocketAddress("10.1.2.3", ports[0]), Settings.parse(config(1, ports, "eth0"), fake).bind());
    }

    @Test
    void ipv6PeersTakeTheInterfacesIpv6AddressGlobalBeforeLinkLocal() throws Exception {
        Fake fake = new Fake().add("eth0", true, "10.1.2.3", "fe80::1", "2001:db8::5");
        Map<String, Object> p = TestNet.config(1, new int[] {7401, 7402});
        p.put(Settings.PEERS, new String[] {"1=[::1]:7401", "2=[::1]:7402"});
        p.put(Settings.BIND_INTERFACE, "eth0");
        assertEquals(new InetSocketAddress(InetAddress.getByName("2001:db8::5"), 7401), Settings.parse(p, fake).bind());
    }

    @Test
    void bindAddressAndBindInterfaceTogetherAreRefused() throws Exception {
        Map<String, Object> p = config(1, TestNet.freePorts(2), "lo");
        p.put(Settings.BIND_ADDRESS, "127.0.0.1");
        psr.settings.BadSetting e = assertThrows(psr.settings.BadSetting.class, () -> Settings.parse(p, LINUX));
        assertEquals("property bind.interface = 'lo' is not allowed: either bind.address or bind.interface, not both "
                + "(bind.address is '127.0.0.1')", e.getMessage());
    }

    @Test
    void withoutTheOsalServiceTheSettingSaysWhatItNeeds() throws Exception {
        psr.settings.BadSetting e = assertThrows(Settings.NeedsNetworkInterfaces.class,
                () -> Settings.parse(config(1, TestNet.freePorts(2), "lo"), null));
        assertEquals("property bind.interface = 'lo' is not allowed: it needs the OSAL NetworkInterfaces service "
                + "(psr.osal.linux or psr.osal.vxworks), and none is registered", e.getMessage());
    }

    @Test
    void aBadValueElsewhereIsReportedBeforeTheInterfaceIsLookedUp() throws Exception {
        Map<String, Object> p = config(1, TestNet.freePorts(2), "lo");
        p.put(Settings.DSCP, "99");
        psr.settings.BadSetting e = assertThrows(psr.settings.BadSetting.class, () -> Settings.parse(p, null));
        assertEquals(Settings.DSCP, e.property);
    }

    // ---- the DS component, with a hand-made BundleContext that may or may not hold the OSAL service ----

    private final List<Object[]> registered = new CopyOnWriteArrayList<>();
    private final List<ServiceListener> listeners = new CopyOnWriteArrayList<>();
    private final List<String> logged = new CopyOnWriteArrayList<>();
    private volatile NetworkInterfaces service;
    private final ServiceReference<?> serviceReference = (ServiceReference<?>) Proxy.newProxyInstance(
            getClass().getClassLoader(), new Class<?>[] {ServiceReference.class}, (proxy, method, args) -> switch (method.getName()) {
                case "compareTo" -> 0;
                case "hashCode" -> 1;
                case "equals" -> proxy == args[0];
                default -> null;
            });

    private BundleContext context() {
        ServiceRegistration<?> registration = (ServiceRegistration<?>) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {ServiceRegistration.class}, (proxy, method, args) -> null);
        return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {BundleContext.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "registerService" -> {
                        registered.add(args);
                        yield registration;
                    }
                    case "getServiceReferences" -> service == null ? List.of() : List.of(serviceReference);
                    case "getService" -> service;
                    case "ungetService" -> true;
                    case "addServiceListener" -> {
                        listeners.add((ServiceListener) args[0]);
                        yield null;
                    }
                    case "removeServiceListener" -> {
                        listeners.remove(args[0]);
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private Logger logger() {
        return (Logger) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, args) -> {
                    if (args != null && args.length > 0 && args[0] instanceof String s) logged.add(method.getName() + " " + s);
                    return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
                });
    }

    @Test
    void theComponentBindsByInterfaceThroughTheOsalService() throws Exception {
        service = LINUX;
        int[] ports = TestNet.freePorts(2);
        UdpTransportComponent component = new UdpTransportComponent(null, config(1, ports, "lo"), context(), logger());
        try {
            assertEquals(1, registered.size());
            Dictionary<?, ?> properties = (Dictionary<?, ?>) registered.get(0)[2];
            assertEquals("PSR UDP transport of node 1 on 127.0.0.1:" + ports[0], properties.get("service.description"));
            assertTrue(logged.stream().anyMatch(l -> l.contains("bound by interface lo (127.0.0.1)")), logged.toString());
            assertTrue(listeners.isEmpty(), "no waiting when the service is there");
        } finally {
            component.deactivate();
        }
    }

    @Test
    void anUnknownInterfaceFailsActivationNamingPropertyValueAndInterfaces() throws Exception {
        service = LINUX;
        ComponentException e = assertThrows(ComponentException.class,
                () -> new UdpTransportComponent(null, config(1, TestNet.freePorts(2), "psr-none0"), context(), logger()));
        assertTrue(e.getMessage().startsWith("configuration psr.transport.udp: property bind.interface = 'psr-none0' is not "
                + "allowed: this host has no network interface psr-none0"), e.getMessage());
        assertTrue(e.getMessage().contains("interfaces present: ") && e.getMessage().contains("lo (127.0.0.1"), e.getMessage());
        assertTrue(registered.isEmpty());
    }

    @Test
    void beforeTheOsalServiceIsRegisteredTheComponentWaitsForIt() throws Exception {
        int[] ports = TestNet.freePorts(2);
        UdpTransportComponent component = new UdpTransportComponent(null, config(1, ports, "lo"), context(), logger());
        try {
            assertTrue(registered.isEmpty(), "no transport before the interface is known");
            assertEquals(1, listeners.size());
            assertTrue(logged.stream().anyMatch(l -> l.equals("warn configuration psr.transport.udp: bind.interface = 'lo' "
                    + "waits for the OSAL NetworkInterfaces service (psr.osal.linux or psr.osal.vxworks); the transport "
                    + "starts when it is registered")), logged.toString());

            service = LINUX;
            listeners.get(0).serviceChanged(new ServiceEvent(ServiceEvent.REGISTERED, serviceReference));
            await(() -> registered.size() == 1, "the transport registered once the OSAL service came");
            assertEquals(Transport.class, registered.get(0)[0]);
            assertEquals(1, ((Transport) registered.get(0)[1]).localNode());
            await(listeners::isEmpty, "the listener removed");
        } finally {
            component.deactivate();
        }
        assertTrue(listeners.isEmpty());
    }

    @Test
    void deactivatedWhileWaitingStartsNothing() throws Exception {
        UdpTransportComponent component = new UdpTransportComponent(null, config(1, TestNet.freePorts(2), "lo"), context(), logger());
        component.deactivate();
        assertTrue(listeners.isEmpty());
        assertTrue(registered.isEmpty());
    }

    /** Interfaces as a test wants them: name, up or down, addresses. */
    static final class Fake implements NetworkInterfaces {
        private final Map<String, List<InetAddress>> addresses = new TreeMap<>();
        private final Map<String, Boolean> up = new TreeMap<>();

        Fake add(String name, boolean isUp, String... literals) {
            List<InetAddress> list = new ArrayList<>();
            try {
                for (String l : literals) list.add(InetAddress.getByName(l));
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            addresses.put(name, list);
            up.put(name, isUp);
            return this;
        }

        @Override
        public List<String> names() {
            return List.copyOf(addresses.keySet());
        }

        @Override
        public List<InetAddress> addresses(String name) throws IOException {
            if (!addresses.containsKey(name)) throw new IOException("no network interface '" + name + "'");
            return up.get(name) ? List.copyOf(addresses.get(name)) : List.of();
        }

        @Override
        public boolean isUp(String name) {
            return up.getOrDefault(name, false);
        }
    }
}
