package psr.transport.udp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceEvent;
import org.osgi.framework.ServiceListener;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.ComponentException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import psr.api.osal.NetworkInterfaces;
import psr.api.transport.Transport;
import psr.settings.BadSetting;
import psr.settings.secrets.SecretsPlugin;

/**
 * The UDP {@link Transport} of this node, configured by the singleton configuration {@value #PID}.
 *
 * <p>The component registers the service itself, and only after the whole configuration has been checked and
 * the socket bound (as psr.osal.linux's storage component does): a bad configuration leaves the component in
 * FAILED ACTIVATION with no service, and SCR logs one error whose message names the property, its value and
 * what is allowed. The service carries {@code psr.node} (this node's id) and {@code psr.cluster}, so a consumer
 * can bind with a target filter such as {@code (psr.node=1)}.
 *
 * <p>A configuration change deactivates and reactivates the component: the socket is closed (the port is free
 * when deactivate returns) and bound again, and the transport starts with a new incarnation, which the peers
 * accept as a restart.
 */
@Component(name = UdpTransportComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {},
        immediate = true)
@Designate(ocd = UdpTransportComponent.Config.class)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=psr.api.transport.Transport",
        uses = Transport.class)
public final class UdpTransportComponent {

    /** The component name and the (singleton) configuration PID. */
    public static final String PID = "psr.transport.udp";

    @ObjectClassDefinition(name = "PSR UDP transport",
            description = "How this controller reaches the other controllers of its PSR cluster: its node id, "
                    + "its socket, the peers' addresses and the cluster keys that authenticate every datagram.")
    public @interface Config {

        @AttributeDefinition(name = "Node id", description = "This node's id, 0 to 65535; the same id the other "
                + "nodes list for it in their peers.")
        int node_id();

        @AttributeDefinition(name = "Cluster id", description = "Carried in every datagram; datagrams of another "
                + "cluster are dropped (bad_cluster). 0 to 4294967295, the same on every node.")
        long cluster_id();

        @AttributeDefinition(name = "Bind address", required = false, description = "IP address of the socket, "
                + "e.g. 127.0.0.1, 10.0.0.1 or 0.0.0.0. Empty: the address of this node's own entry in peers.")
        String bind_address() default "";

        @AttributeDefinition(name = "Bind interface", required = false, description = "Name of the network "
                + "interface whose address the socket binds to, as the platform names it (e.g. eth1 or enp3s0 on "
                + "Linux, gei0 on VxWorks): its first address of the peers' family (IPv4 or IPv6; a global IPv6 "
                + "address before a link-local one), looked up through the OSAL NetworkInterfaces service when the "
                + "transport starts. Instead of bind.address. Empty: bind.address decides.")
        String bind_interface() default "";

        @AttributeDefinition(name = "Bind port", description = "UDP port of the socket, 1 to 65535; -1: the port "
                + "of this node's own entry in peers.")
        int bind_port() default -1;

        @AttributeDefinition(name = "Peers", description = "The nodes of the cluster as id=address:port, e.g. "
                + "2=127.0.0.1:7402. May include this node. Datagrams are accepted from a node only from its "
                + "address and port listed here.")
        String[] peers();

        @AttributeDefinition(name = "Keys", type = AttributeType.PASSWORD, description = "One or two cluster keys as "
                + "id=hex:KEY or id=base64:KEY (id 0 to 255, key 16 to 64 bytes). The first signs what this node sends; "
                + "datagrams signed with any listed key are accepted. Two keys only while rotating. Never in the "
                + "component's properties (scr:info), but ConfigAdmin stores them as written: prefer keys.file.", required = false)
        String[] keys();

        @AttributeDefinition(name = "Keys file", description = "Absolute path of a file, readable by its owner only"
                + " (mode 600), holding the key entries (id=hex:KEY or id=base64:KEY, one per line, # comments); instead"
                + " of keys.", required = false)
        String keys_file();

        @AttributeDefinition(name = "Largest datagram", description = "Largest UDP payload sent, in bytes, "
                + "header and tag included (256 to 65507). 1400 fits a 1500-byte Ethernet MTU with room to "
                + "spare; larger messages are fragmented.")
        int datagram_bytes_max() default Settings.DEFAULT_DATAGRAM_BYTES_MAX;

        @AttributeDefinition(name = "Largest message", description = "Largest message sent or reassembled, in "
                + "bytes (1 to 16777216).")
        int message_bytes_max() default Settings.DEFAULT_MESSAGE_BYTES_MAX;

        @AttributeDefinition(name = "DSCP", description = "DiffServ code point put into IP_TOS of every "
                + "datagram (0 to 63; e.g. 46 for EF, 48 for CS6). Best effort: the OS or the network may ignore "
                + "it; IPv4 only.")
        int dscp() default 0;

        @AttributeDefinition(name = "Socket send buffer", description = "SO_SNDBUF in bytes; 0 keeps the OS "
                + "default.")
        int socket_send_buffer_bytes() default 0;

        @AttributeDefinition(name = "Socket receive buffer", description = "SO_RCVBUF in bytes asked of the OS "
                + "(Linux caps it at net.core.rmem_max); 0 keeps the OS default. It should hold a few of the largest "
                + "messages: a message arrives as a burst of fragments, and one that overflows the buffer is lost whole.")
        int socket_receive_buffer_bytes() default Settings.DEFAULT_RECEIVE_BUFFER_BYTES;

        @AttributeDefinition(name = "Replay window", description = "Sequence numbers remembered per sender "
                + "(a multiple of 64, 64 to 65536); older ones are dropped as replay.")
        int replay_window() default Settings.DEFAULT_REPLAY_WINDOW;

        @AttributeDefinition(name = "Reassembly timeout", description = "Milliseconds an incomplete fragmented "
                + "message is kept (10 to 600000).")
        int reassembly_timeout_ms() default Settings.DEFAULT_REASSEMBLY_TIMEOUT_MS;

        @AttributeDefinition(name = "Reassembly memory", description = "Bytes all incomplete messages may hold "
                + "together (at least the per-peer bound).")
        long reassembly_bytes_max() default Settings.DEFAULT_REASSEMBLY_BYTES_MAX;

        @AttributeDefinition(name = "Reassembly memory per peer", description = "Bytes the incomplete messages "
                + "of one sender may hold (at least the largest message).")
        long reassembly_bytes_per_peer() default Settings.DEFAULT_REASSEMBLY_BYTES_PER_PEER;

        @AttributeDefinition(name = "Send queue (messages)", description = "Messages waiting to be sent; when "
                + "full, send drops (queue_full).")
        int send_queue_messages() default Settings.DEFAULT_SEND_QUEUE_MESSAGES;

        @AttributeDefinition(name = "Send queue (bytes)", description = "Message bytes waiting to be sent "
                + "(at least the largest message); when full, send drops (queue_full).")
        long send_queue_bytes() default Settings.DEFAULT_SEND_QUEUE_BYTES;
    }

    private final Map<String, Object> properties;
    private final BundleContext context;
    private final Logger logger;
    private final Object lock = new Object();
    /** Guarded by lock. Null until the transport is open (at once, or once the OSAL service came). */
    private UdpTransport transport;
    private ServiceRegistration<Transport> registration;
    /** Guarded by lock: the OSAL listener while bind.interface waits for NetworkInterfaces, the starter's state. */
    private ServiceListener waiting;
    private boolean starting;
    private boolean opening;
    private boolean deactivated;

    /**
     * {@code config} is not read: it is here so that the component description carries the defaults of
     * {@link Config}; {@link Settings#parse} reads the raw properties to explain a bad value in its own words.
     *
     * <p>With {@code bind.interface}, the interface's address is looked up through the OSAL
     * {@link NetworkInterfaces} service, once, here. The transport does not depend on that service otherwise (no
     * DS reference: swapping the OSAL bundle does not restart the transport). When no such service is registered
     * yet (the OSAL bundle starts after this configuration arrived), the component waits for it, logs that it
     * waits, and opens and registers the transport when it comes; a bad interface found then is logged as an error.
     */
    @Activate
    public UdpTransportComponent(Config config, Map<String, Object> properties, BundleContext context,
            @Reference(service = LoggerFactory.class) Logger logger) {
        // The keys were taken out of the component's properties by the bundle's SecretsPlugin (Secrets): put back for
        // the parser only, never shown.
        this.properties = SecretsPlugin.restore(properties);
        this.context = context;
        this.logger = logger;
        Settings settings;
        try {
            settings = parse();
        } catch (Settings.NeedsNetworkInterfaces e) {
            waitForNetworkInterfaces();
            return;
        } catch (BadSetting e) {
            throw new ComponentException("configuration " + PID + ": " + e.getMessage());
        }
        UdpTransport t = open(settings);
        ServiceRegistration<Transport> r = register(t, settings);
        synchronized (lock) {
            transport = t;
            registration = r;
        }
    }

    /** The settings, asking the highest-ranked OSAL {@link NetworkInterfaces} service only when bind.interface is set. */
    private Settings parse() {
        try {
            return Settings.parse(properties, null);
        } catch (Settings.NeedsNetworkInterfaces needed) {
            List<ServiceReference<NetworkInterfaces>> references;
            try {
                references = new ArrayList<>(context.getServiceReferences(NetworkInterfaces.class, null));
            } catch (InvalidSyntaxException e) {
                throw new IllegalStateException(e); // no filter given
            }
            references.sort(Collections.reverseOrder()); // highest ranking first
            for (ServiceReference<NetworkInterfaces> reference : references) {
                NetworkInterfaces interfaces = context.getService(reference);
                if (interfaces == null) continue; // unregistered meanwhile
                try {
                    return Settings.parse(properties, interfaces);
                } finally {
                    context.ungetService(reference);
                }
            }
            throw needed;
        }
    }

    private void waitForNetworkInterfaces() {
        logger.warn("configuration " + PID + ": " + Settings.BIND_INTERFACE + " = '" + Settings.parseBindInterface(properties)
                + "' waits for the OSAL NetworkInterfaces service (psr.osal.linux or psr.osal.vxworks); the transport "
                + "starts when it is registered");
        ServiceListener listener = event -> {
            if (event.getType() == ServiceEvent.REGISTERED) startLater();
        };
        synchronized (lock) {
            waiting = listener;
        }
        try {
            context.addServiceListener(listener, "(" + Constants.OBJECTCLASS + "=" + NetworkInterfaces.class.getName() + ")");
            // Registered between the lookup and the listener: start now.
            if (!context.getServiceReferences(NetworkInterfaces.class, null).isEmpty()) startLater();
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Opens and registers the transport on a thread of its own (not the one registering the OSAL service). */
    private void startLater() {
        synchronized (lock) {
            if (deactivated || starting || transport != null) return;
            starting = true;
            opening = true;
        }
        Thread starter = new Thread(this::startNow, "psr-udp-start");
        starter.setDaemon(true);
        starter.start();
    }

    private void startNow() {
        Settings settings;
        UdpTransport t;
        try {
            settings = parse();
            t = open(settings);
        } catch (Settings.NeedsNetworkInterfaces e) {
            synchronized (lock) { // the service went again: go on waiting
                starting = false;
                opening = false;
                lock.notifyAll();
            }
            return;
        } catch (BadSetting | ComponentException e) {
            logger.error((e instanceof BadSetting ? "configuration " + PID + ": " : "") + e.getMessage()
                    + " (the transport does not start; correct the configuration)");
            synchronized (lock) {
                opening = false;
                lock.notifyAll();
            }
            stopWaiting();
            return;
        }
        synchronized (lock) {
            opening = false;
            lock.notifyAll();
            if (deactivated) {
                t.close();
                return;
            }
            transport = t;
        }
        stopWaiting();
        ServiceRegistration<Transport> r = register(t, settings);
        boolean late;
        synchronized (lock) {
            late = deactivated;
            if (!late) registration = r;
        }
        if (late) unregister(r); // deactivate closed the transport already
    }

    private void stopWaiting() {
        ServiceListener listener;
        synchronized (lock) {
            listener = waiting;
            waiting = null;
        }
        if (listener != null) {
            try {
                context.removeServiceListener(listener);
            } catch (IllegalStateException e) {
                // the bundle is stopping
            }
        }
    }

    private UdpTransport open(Settings settings) {
        UdpTransport.Log log = new UdpTransport.Log() {
            @Override
            public void info(String message) {
                logger.info(message);
            }

            @Override
            public void warn(String message) {
                logger.warn(message);
            }
        };
        UdpTransport t;
        try {
            t = new UdpTransport(settings, log);
        } catch (IOException | RuntimeException e) {
            boolean inUse = String.valueOf(e.getMessage()).contains("in use");
            String property = inUse ? Settings.BIND_PORT
                    : settings.bindInterface().isEmpty() ? Settings.BIND_ADDRESS : Settings.BIND_INTERFACE;
            Object value = inUse ? settings.bind().getPort()
                    : settings.bindInterface().isEmpty() ? settings.bind().getAddress().getHostAddress() : settings.bindInterface();
            throw new ComponentException("configuration " + PID + ": property " + property + " = '" + value
                    + "' is not allowed: cannot bind " + UdpTransport.show(settings.bind()) + " (" + e
                    + "); expected a free UDP port on an address of this host");
        }
        return t.start();
    }

    private ServiceRegistration<Transport> register(UdpTransport t, Settings settings) {
        Dictionary<String, Object> serviceProperties = new Hashtable<>();
        serviceProperties.put("psr.node", settings.nodeId());
        serviceProperties.put("psr.cluster", settings.clusterId());
        serviceProperties.put("psr.transport", "udp");
        serviceProperties.put(Constants.SERVICE_DESCRIPTION, "PSR UDP transport of node " + settings.nodeId()
                + " on " + UdpTransport.show(t.localAddress()));
        try {
            return context.registerService(Transport.class, t, serviceProperties);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    @Deactivate
    void deactivate() {
        ServiceRegistration<Transport> r;
        UdpTransport t;
        synchronized (lock) {
            deactivated = true;
            // A starter that is binding the socket finishes (and closes it) first: the port is free on return.
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (opening && System.nanoTime() < deadline) {
                try {
                    lock.wait(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            r = registration;
            t = transport;
            registration = null;
            transport = null;
        }
        stopWaiting();
        if (r != null) unregister(r);
        if (t != null) t.close();
    }

    private static void unregister(ServiceRegistration<Transport> r) {
        try {
            r.unregister();
        } catch (IllegalStateException e) {
            // The bundle is stopping and the framework already removed the registration.
        }
    }
}
