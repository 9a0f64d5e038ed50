package psr.transport.udp;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

import psr.api.osal.NetworkInterfaces;
import psr.settings.BadSetting;
import psr.settings.Defaults;
import psr.settings.SettingsReader;

/**
 * The checked configuration of one {@link UdpTransport}. {@link #parse} reads the ConfigAdmin properties with the
 * settings checker every PSR component uses ({@link SettingsReader}: values may be strings, as FileInstall gives them
 * from a {@code .cfg} file, or typed values and arrays, read by the same rules as a part's), takes the defaults from the
 * metatype ({@link UdpTransportComponent.Config}, the only place they are written), and rejects the first bad value
 * with a {@link BadSetting} that names the property, the value and what is allowed. The property names are the
 * constants below; README.md documents them.
 *
 * @param nodeId                   this node's id
 * @param clusterId                the cluster id carried (and checked) in every datagram, 0 to 2^32-1
 * @param bind                     local address and port of the socket (port 0: any free port, for tests)
 * @param bindInterface            the network interface {@code bind}'s address was taken from, or empty
 * @param peers                    node id to address; may include this node (ignored for sending)
 * @param keys                     one or two keys; the first signs, all verify
 * @param datagramBytesMax         largest UDP payload sent, header and tag included
 * @param messageBytesMax          largest message accepted by send and by reassembly
 * @param dscp                     DiffServ code point for IP_TOS (0 to 63)
 * @param sendBufferBytes          SO_SNDBUF, 0 for the OS default
 * @param receiveBufferBytes       SO_RCVBUF asked for (default {@link #DEFAULT_RECEIVE_BUFFER_BYTES}), 0 for the OS default
 * @param replayWindow             sequence numbers remembered per sender, a multiple of 64
 * @param reassemblyTimeoutMillis  how long an incomplete message is kept
 * @param reassemblyBytesMax       bytes held by incomplete messages, all senders together
 * @param reassemblyBytesPerPeer   bytes held by incomplete messages of one sender
 * @param sendQueueMessages        messages waiting for the sender thread
 * @param sendQueueBytes           message bytes waiting for the sender thread
 */
record Settings(int nodeId, long clusterId, InetSocketAddress bind, String bindInterface, Map<Integer, InetSocketAddress> peers,
        List<Key> keys, int datagramBytesMax, int messageBytesMax, int dscp, int sendBufferBytes,
        int receiveBufferBytes, int replayWindow, int reassemblyTimeoutMillis, long reassemblyBytesMax,
        long reassemblyBytesPerPeer, int sendQueueMessages, long sendQueueBytes) {

    static final String NODE_ID = "node.id";
    static final String CLUSTER_ID = "cluster.id";
    static final String BIND_ADDRESS = "bind.address";
    static final String BIND_PORT = "bind.port";
    static final String BIND_INTERFACE = "bind.interface";
    static final String PEERS = "peers";
    static final String KEYS = "keys";
    static final String KEYS_FILE = "keys.file";
    static final String DATAGRAM_BYTES_MAX = "datagram.bytes.max";
    static final String MESSAGE_BYTES_MAX = "message.bytes.max";
    static final String DSCP = "dscp";
    static final String SEND_BUFFER_BYTES = "socket.send.buffer.bytes";
    static final String RECEIVE_BUFFER_BYTES = "socket.receive.buffer.bytes";
    static final String REPLAY_WINDOW = "replay.window";
    static final String REASSEMBLY_TIMEOUT_MS = "reassembly.timeout.ms";
    static final String REASSEMBLY_BYTES_MAX = "reassembly.bytes.max";
    static final String REASSEMBLY_BYTES_PER_PEER = "reassembly.bytes.per.peer";
    static final String SEND_QUEUE_MESSAGES = "send.queue.messages";
    static final String SEND_QUEUE_BYTES = "send.queue.bytes";

    static final int NODE_ID_MAX = 65535;
    static final long CLUSTER_ID_MAX = 0xFFFF_FFFFL;
    /** The largest UDP payload over IPv4: 65535 - 20 (IP header) - 8 (UDP header). */
    static final int UDP_PAYLOAD_MAX = 65507;
    /** The smallest datagram size: the largest header plus a useful fragment. */
    static final int DATAGRAM_BYTES_MIN = 256;
    static final int MESSAGE_BYTES_LIMIT = 16 * 1024 * 1024;
    static final int KEY_BYTES_MIN = 16;
    static final int KEY_BYTES_MAX = 64;

    static final int DEFAULT_DATAGRAM_BYTES_MAX = 1400;
    static final int DEFAULT_MESSAGE_BYTES_MAX = 1024 * 1024;
    /**
     * SO_RCVBUF asked for unless configured: room for a few of the largest messages. A message travels as a burst of
     * fragments; with the OS default (208 KiB on Linux) one message of the default limit does not fit, so any pause of
     * the receiver thread (a GC, a busy core) loses it whole, and state transfer, which sends such messages one after
     * another, keeps losing them. Linux caps the size at net.core.rmem_max.
     */
    static final int DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
    static final int DEFAULT_REPLAY_WINDOW = 1024;
    static final int DEFAULT_REASSEMBLY_TIMEOUT_MS = 2000;
    static final long DEFAULT_REASSEMBLY_BYTES_MAX = 8L * 1024 * 1024;
    static final long DEFAULT_REASSEMBLY_BYTES_PER_PEER = 2L * 1024 * 1024;
    static final int DEFAULT_SEND_QUEUE_MESSAGES = 4096;
    static final long DEFAULT_SEND_QUEUE_BYTES = 16L * 1024 * 1024;

    /** A shared secret and the id that names it in datagrams. */
    record Key(int id, byte[] secret) {
        @Override
        public String toString() {
            return "key " + id + " (" + secret.length + " bytes)";
        }
    }

    /**
     * {@code bind.interface} is set but no OSAL {@code NetworkInterfaces} service was given: every other property
     * is fine, and the settings can be made once the service is there.
     */
    static final class NeedsNetworkInterfaces extends BadSetting {
        private static final long serialVersionUID = 1L;

        NeedsNetworkInterfaces(Object value) {
            super(BIND_INTERFACE, value, "it needs the OSAL NetworkInterfaces service (psr.osal.linux or "
                    + "psr.osal.vxworks), and none is registered");
        }
    }

    Settings {
        peers = Collections.unmodifiableMap(new TreeMap<>(peers));
        keys = List.copyOf(keys);
    }

    /** The transport's defaults: those of its metatype, the only place they are written. */
    private static final Defaults DEFAULTS = Defaults.of(UdpTransportComponent.Config.class);

    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    private static final Pattern HEX = Pattern.compile("([0-9a-fA-F]{2})+");

    /** {@link #parse(Map, NetworkInterfaces)} without an OSAL service: for configurations without bind.interface. */
    static Settings parse(Map<String, ?> properties) {
        return parse(properties, null);
    }

    /**
     * Reads and checks every property; throws {@link BadSetting} for the first bad one. {@code interfaces} (may
     * be null) turns {@code bind.interface} into an address; it is asked last, after every other property has
     * been checked, and only when bind.interface is set ({@link NeedsNetworkInterfaces} when it is null then).
     */
    static Settings parse(Map<String, ?> properties, NetworkInterfaces interfaces) {
        SettingsReader p = new SettingsReader(properties, DEFAULTS);
        int nodeId = p.integer(NODE_ID, 0, NODE_ID_MAX);
        long clusterId = p.longInteger(CLUSTER_ID, 0, CLUSTER_ID_MAX);
        Map<Integer, InetSocketAddress> peers = peers(p);
        InetSocketAddress own = peers.get(nodeId);

        Object bindAddressValue = p.written(BIND_ADDRESS);
        String bindAddressText = p.text(BIND_ADDRESS);
        String bindInterface = p.text(BIND_INTERFACE);
        InetAddress bindAddress;
        if (!bindInterface.isEmpty()) {
            if (!bindAddressText.isEmpty()) {
                throw new BadSetting(BIND_INTERFACE, bindInterface, "either " + BIND_ADDRESS + " or " + BIND_INTERFACE
                        + ", not both (" + BIND_ADDRESS + " is '" + bindAddressText + "')");
            }
            bindAddress = null; // looked up last
        } else if (bindAddressText.isEmpty()) {
            if (own == null) {
                throw new BadSetting(BIND_ADDRESS, bindAddressValue, "it is empty and peers has no entry for this node ("
                        + nodeId + "); expected an IP address (e.g. 127.0.0.1 or 0.0.0.0), or an entry "
                        + nodeId + "=host:port in peers");
            }
            bindAddress = own.getAddress();
        } else {
            bindAddress = ipLiteral(bindAddressText);
            if (bindAddress == null) {
                throw new BadSetting(BIND_ADDRESS, bindAddressValue,
                        "expected an IPv4 address such as 127.0.0.1 or 0.0.0.0, or an IPv6 address in brackets");
            }
        }
        long port = p.integer(BIND_PORT, -1, 65535,
                "-1 (the port of this node's entry in peers) or a port from 0 to 65535 (0: any free port)");
        if (port == -1) {
            if (own == null) {
                throw new BadSetting(BIND_PORT, p.written(BIND_PORT), "it is -1 (take it from peers) and peers "
                        + "has no entry for this node (" + nodeId + "); expected a port from 0 to 65535");
            }
            port = own.getPort();
        }
        if (peers.keySet().stream().noneMatch(id -> id != nodeId)) {
            throw new BadSetting(PEERS, p.written(PEERS), "it names no node other than this one (" + nodeId
                    + "); expected entries id=host:port for the other nodes");
        }
        List<Key> keys = keys(keysValue(p));

        int datagram = p.integer(DATAGRAM_BYTES_MAX, DATAGRAM_BYTES_MIN, UDP_PAYLOAD_MAX);
        int message = p.integer(MESSAGE_BYTES_MAX, 1, MESSAGE_BYTES_LIMIT);
        int fragmentsNeeded = (message + Wire.fragmentCapacity(datagram, Wire.PART_BYTES_MAX) - 1)
                / Wire.fragmentCapacity(datagram, Wire.PART_BYTES_MAX);
        if (fragmentsNeeded > Wire.FRAGMENTS_MAX) {
            throw new BadSetting(MESSAGE_BYTES_MAX, p.written(MESSAGE_BYTES_MAX) != null ? p.written(MESSAGE_BYTES_MAX) : message, "with " + DATAGRAM_BYTES_MAX
                    + " = " + datagram + " it needs " + fragmentsNeeded + " fragments; expected at most "
                    + Wire.FRAGMENTS_MAX);
        }
        int dscp = p.integer(DSCP, 0, 63, "an integer from 0 to 63 (e.g. 46 for EF)");
        int sendBuffer = p.integer(SEND_BUFFER_BYTES, 0, 64 * 1024 * 1024, "0 (the OS default) or a size in bytes up to 67108864");
        int receiveBuffer = p.integer(RECEIVE_BUFFER_BYTES, 0, 64 * 1024 * 1024, "0 (the OS default) or a size in bytes up to 67108864");
        int window = p.integer(REPLAY_WINDOW, 64, 65536, "a multiple of 64 from 64 to 65536");
        if (window % 64 != 0) {
            throw BadSetting.expected(REPLAY_WINDOW, p.written(REPLAY_WINDOW), "a multiple of 64 from 64 to 65536");
        }
        int timeout = p.integer(REASSEMBLY_TIMEOUT_MS, 10, 600_000, "a time in milliseconds from 10 to 600000");
        long perPeer = p.longInteger(REASSEMBLY_BYTES_PER_PEER, message, 1L << 40, "at least " + MESSAGE_BYTES_MAX + " (" + message + ")");
        long total = p.longInteger(REASSEMBLY_BYTES_MAX, perPeer, 1L << 40, "at least " + REASSEMBLY_BYTES_PER_PEER + " (" + perPeer + ")");
        int queueMessages = p.integer(SEND_QUEUE_MESSAGES, 1, 1_000_000);
        long queueBytes = p.longInteger(SEND_QUEUE_BYTES, message, 1L << 40, "at least " + MESSAGE_BYTES_MAX + " (" + message + ")");
        if (bindAddress == null) {
            if (interfaces == null) throw new NeedsNetworkInterfaces(bindInterface);
            bindAddress = interfaceAddress(bindInterface, familyOf(nodeId, peers), interfaces);
        }
        InetSocketAddress bind = new InetSocketAddress(bindAddress, (int) port);
        return new Settings(nodeId, clusterId, bind, bindInterface, peers, keys, datagram, message, dscp, sendBuffer,
                receiveBuffer, window, timeout, total, perPeer, queueMessages, queueBytes);
    }

    /** The value of bind.interface, trimmed; empty when not set. */
    static String parseBindInterface(Map<String, ?> properties) {
        return new SettingsReader(properties, DEFAULTS).text(BIND_INTERFACE);
    }

    /** The address family the socket needs: that of this node's entry in peers, else of the first other peer. */
    private static Class<? extends InetAddress> familyOf(int nodeId, Map<Integer, InetSocketAddress> peers) {
        InetSocketAddress own = peers.get(nodeId);
        InetAddress sample = (own != null ? own : peers.values().iterator().next()).getAddress();
        return sample instanceof Inet6Address ? Inet6Address.class : Inet4Address.class;
    }

    /**
     * The address of interface {@code name} of {@code family} to bind to: the first the platform reports, a
     * global IPv6 address before a link-local one. Refuses, naming the interfaces present and their addresses of
     * that family, an interface that does not exist, is down, or has no such address.
     */
    private static InetAddress interfaceAddress(String name, Class<? extends InetAddress> family, NetworkInterfaces interfaces) {
        String familyName = family == Inet6Address.class ? "IPv6" : "IPv4";
        String expected = "expected an interface with an " + familyName + " address (the family of the peers' addresses)";
        try {
            List<String> names = interfaces.names();
            if (!names.contains(name)) {
                throw new BadSetting(BIND_INTERFACE, name, "this host has no network interface " + name + "; " + expected
                        + "; interfaces present: " + present(names, family, interfaces));
            }
            List<InetAddress> candidates = new ArrayList<>();
            for (InetAddress a : interfaces.addresses(name)) {
                if (family.isInstance(a)) candidates.add(a);
            }
            candidates.sort(java.util.Comparator.comparing(InetAddress::isLinkLocalAddress)); // stable: order kept otherwise
            if (candidates.isEmpty()) {
                String why = interfaces.isUp(name) ? "has no " + familyName + " address now" : "is down";
                throw new BadSetting(BIND_INTERFACE, name, "interface " + name + " " + why + "; " + expected
                        + "; interfaces present: " + present(names, family, interfaces));
            }
            return candidates.get(0);
        } catch (java.io.IOException e) {
            throw new BadSetting(BIND_INTERFACE, name, "looking up the network interfaces failed (" + e.getMessage()
                    + "); " + expected);
        }
    }

    /** "eth0 (10.0.0.1), lo (127.0.0.1), wlan0 (down)": each interface with its addresses of {@code family}. */
    private static String present(List<String> names, Class<? extends InetAddress> family, NetworkInterfaces interfaces)
            throws java.io.IOException {
        List<String> shown = new ArrayList<>();
        for (String n : names) {
            List<String> addresses = new ArrayList<>();
            for (InetAddress a : interfaces.addresses(n)) {
                if (family.isInstance(a)) addresses.add(a.getHostAddress());
            }
            shown.add(n + " (" + (!addresses.isEmpty() ? String.join(", ", addresses)
                    : interfaces.isUp(n) ? "no " + (family == Inet6Address.class ? "IPv6" : "IPv4") + " address" : "down") + ")");
        }
        return shown.isEmpty() ? "none" : String.join(", ", shown);
    }

    private static Map<Integer, InetSocketAddress> peers(SettingsReader p) {
        Object value = p.written(PEERS);
        String allowed = "expected a list of id=address:port, e.g. 2=127.0.0.1:7402, with distinct ids from 0 to "
                + "65535, IPv4 addresses (or IPv6 in brackets) and ports from 1 to 65535";
        List<String> entries = p.list(PEERS);
        if (entries.isEmpty()) {
            throw new BadSetting(PEERS, value, (value == null ? "it is required; " : "it is empty; ") + allowed);
        }
        Map<Integer, InetSocketAddress> peers = new TreeMap<>();
        for (String entry : entries) {
            int eq = entry.indexOf('=');
            int colon = entry.lastIndexOf(':');
            if (eq <= 0 || colon <= eq + 1 || colon == entry.length() - 1) {
                throw new BadSetting(PEERS, value, "entry '" + entry + "' is not id=address:port; " + allowed);
            }
            int id;
            int port;
            try {
                id = Integer.parseInt(entry.substring(0, eq).trim());
                port = Integer.parseInt(entry.substring(colon + 1).trim());
            } catch (NumberFormatException e) {
                throw new BadSetting(PEERS, value, "entry '" + entry + "' has a bad id or port; " + allowed);
            }
            if (id < 0 || id > NODE_ID_MAX || port < 1 || port > 65535) {
                throw new BadSetting(PEERS, value, "entry '" + entry + "' has an id or port out of range; " + allowed);
            }
            InetAddress address = ipLiteral(entry.substring(eq + 1, colon).trim());
            if (address == null || address.isAnyLocalAddress()) {
                throw new BadSetting(PEERS, value, "entry '" + entry + "' has no usable IP address; " + allowed);
            }
            if (peers.put(id, new InetSocketAddress(address, port)) != null) {
                throw new BadSetting(PEERS, value, "node " + id + " appears twice; " + allowed);
            }
        }
        return peers;
    }

    /**
     * The key entries: from {@code keys}, or read from the file {@code keys.file} names (one entry per line or
     * comma-separated, {@code #} comments), which must be readable by its owner only. A file keeps the keys out of
     * the configuration, where {@code scr:info} and ConfigAdmin tools print them.
     */
    private static Object keysValue(SettingsReader p) {
        Object inline = p.written(KEYS);
        boolean hasInline = inline != null;
        String path = p.text(KEYS_FILE);
        if (hasInline && !path.isEmpty()) {
            throw new BadSetting(KEYS_FILE, path, "either keys or keys.file, not both (keys is set too)");
        }
        if (path.isEmpty()) return inline;
        java.nio.file.Path keyFile = java.nio.file.Path.of(path);
        if (!keyFile.isAbsolute()) throw new BadSetting(KEYS_FILE, path, "expected an absolute path of a file with the key entries");
        try {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> mode = java.nio.file.Files.getPosixFilePermissions(keyFile);
            for (java.nio.file.attribute.PosixFilePermission permission : mode) {
                if (permission.name().startsWith("GROUP") || permission.name().startsWith("OTHERS")) {
                    throw new BadSetting(KEYS_FILE, path, "a file only its owner may read: it is "
                            + java.nio.file.attribute.PosixFilePermissions.toString(mode) + " (chmod 600 " + path + ")");
                }
            }
        } catch (UnsupportedOperationException e) {
            // no POSIX permissions here (e.g. a VxWorks dosFs volume): the device's access control applies
        } catch (java.io.IOException e) {
            throw new BadSetting(KEYS_FILE, path, "expected a readable file with the key entries (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
        try {
            List<String> entries = new ArrayList<>();
            for (String line : java.nio.file.Files.readAllLines(keyFile, StandardCharsets.UTF_8)) {
                String entry = line.strip();
                if (!entry.isEmpty() && !entry.startsWith("#")) entries.add(entry);
            }
            return entries.toArray(new String[0]);
        } catch (java.io.IOException e) {
            throw new BadSetting(KEYS_FILE, path, "expected a readable file with the key entries (" + e.getMessage() + ")");
        }
    }

    private static List<Key> keys(Object value) {
        String allowed = "expected one or two entries id=hex:KEY or id=base64:KEY with distinct ids from 0 to 255 "
                + "and keys of " + KEY_BYTES_MIN + " to " + KEY_BYTES_MAX + " bytes (the first entry signs)";
        List<String> entries = SettingsReader.items(value);
        if (entries.isEmpty() || entries.size() > 2) {
            throw new BadSetting(KEYS, redact(entries, value), "it has " + entries.size() + " entries; " + allowed);
        }
        List<Key> keys = new ArrayList<>();
        for (String entry : entries) {
            int eq = entry.indexOf('=');
            int id;
            try {
                id = eq <= 0 ? -1 : Integer.parseInt(entry.substring(0, eq).trim());
            } catch (NumberFormatException e) {
                id = -1;
            }
            if (id < 0 || id > 255) {
                throw new BadSetting(KEYS, redact(entries, value), "an entry has no key id from 0 to 255; " + allowed);
            }
            String text = entry.substring(eq + 1).trim();
            byte[] secret = null;
            if (text.startsWith("hex:") && HEX.matcher(text.substring(4)).matches()) {
                secret = hex(text.substring(4));
            } else if (text.startsWith("base64:")) {
                try {
                    secret = Base64.getDecoder().decode(text.substring(7));
                } catch (IllegalArgumentException e) {
                    secret = null;
                }
            }
            if (secret == null) {
                throw new BadSetting(KEYS, redact(entries, value), "key " + id + " is not hex:... or base64:...; " + allowed);
            }
            if (secret.length < KEY_BYTES_MIN || secret.length > KEY_BYTES_MAX) {
                throw new BadSetting(KEYS, redact(entries, value), "key " + id + " has " + secret.length + " bytes; " + allowed);
            }
            for (Key k : keys) {
                if (k.id() == id) {
                    throw new BadSetting(KEYS, redact(entries, value), "key id " + id + " appears twice; " + allowed);
                }
            }
            keys.add(new Key(id, secret));
        }
        return keys;
    }

    /** Key material never goes into a log line: show only the ids and the encoding. */
    private static String redact(List<String> entries, Object value) {
        if (value == null) {
            return null;
        }
        List<String> shown = new ArrayList<>();
        for (String e : entries) {
            int eq = e.indexOf('=');
            int colon = e.indexOf(':', Math.max(eq, 0));
            shown.add((eq > 0 ? e.substring(0, eq + 1) : "")
                    + (colon > eq ? e.substring(eq + 1, colon + 1) : "") + "<secret>");
        }
        return String.join(",", shown);
    }

    private static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    /** An IP address written as a literal (no name lookup ever happens), or null. */
    static InetAddress ipLiteral(String text) {
        try {
            if (IPV4.matcher(text).matches()) {
                return InetAddress.getByName(text);
            }
            if (text.length() > 2 && text.startsWith("[") && text.endsWith("]") && text.indexOf(':') > 0
                    && text.substring(1, text.length() - 1).matches("[0-9a-fA-F:.]+")) {
                return InetAddress.getByName(text.substring(1, text.length() - 1));
            }
        } catch (UnknownHostException e) {
            return null;
        }
        return null;
    }

    /** Summary for the start-up log line (no key material). */
    String describe() {
        StringBuilder peersText = new StringBuilder();
        peers.forEach((id, a) -> peersText.append(peersText.length() == 0 ? "" : ", ").append(id).append('=')
                .append(a.getAddress().getHostAddress()).append(':').append(a.getPort()));
        return "node " + nodeId + ", cluster " + clusterId
                + (bindInterface.isEmpty() ? "" : ", bound by interface " + bindInterface + " (" + bind.getAddress().getHostAddress() + ")")
                + ", peers {" + peersText + "}, keys "
                + keys.stream().map(k -> String.valueOf(k.id())).toList() + " (signing with " + keys.get(0).id()
                + "), datagrams up to " + datagramBytesMax + " bytes, messages up to " + messageBytesMax + " bytes";
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
