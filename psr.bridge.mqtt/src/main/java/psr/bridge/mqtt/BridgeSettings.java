package psr.bridge.mqtt;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A bridge's configuration, checked: {@link #from} names the first property that is wrong, its value and what is
 * allowed. The password is kept out of {@link #toString()} and every message.
 */
final class BridgeSettings {
    static final String PASSWORD = ".password";
    private static final String NAME = "[A-Za-z0-9._-]{1,64}";

    final String cluster;
    final int node;
    /** The parts to publish; empty means every part this node has a replica of. */
    final List<String> parts;
    final List<String> brokerUris;
    final String clientId;
    final String prefix;
    final int qos;
    final String username;
    private final char[] password;
    final int keepAliveS;
    final int connectTimeoutMs;
    final int publishTimeoutMs;
    final int reconnectInitialMs;
    final int reconnectMaxMs;
    final int queueCapacity;
    final int inflightMax;
    final int republishRate;
    final int syncTimeoutMs;
    final boolean commandsEnabled;
    final List<String> commandsAllow;
    final int commandsMaxBytes;
    /** Sparkplug B mode (else plain). */
    final boolean sparkplug;
    final String sparkplugGroup;
    /** First key levels that are Sparkplug devices ({@code pump1/speed}: device pump1, metric speed). */
    final List<String> sparkplugDevices;
    /** The primary host application to wait for (its STATE online) before NBIRTH, or empty. */
    final String sparkplugPrimaryHost;
    /** For ssl:// brokers; null when no broker URI is ssl://. */
    final javax.net.ssl.SSLSocketFactory tls;
    final boolean tlsHostnameCheck;

    /** A property with a value that is not allowed. */
    static final class BadSetting extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadSetting(String property, Object value, String allowed) {
            super("property " + property + " = '" + (property.equals(PASSWORD) ? "(hidden)" : value) + "' is not allowed: expected " + allowed);
        }
    }

    private BridgeSettings(Map<String, ?> p) {
        cluster = name(p, "cluster", "main");
        node = integer(p, "node", null, 0, 65535);
        parts = parts(p);
        brokerUris = uris(p);
        clientId = text(p, "client.id", "psr-" + cluster + "-" + node);
        if (!clientId.matches(NAME)) throw new BadSetting("client.id", clientId, "1 to 64 characters from A-Z a-z 0-9 . - _");
        String pre = text(p, "prefix", "psr/" + cluster);
        try {
            prefix = Topics.checkPrefix(pre);
        } catch (IllegalArgumentException e) {
            throw new BadSetting("prefix", pre, e.getMessage().substring("expected ".length()));
        }
        qos = integer(p, "qos", 1, 0, 2);
        username = text(p, "username", "");
        password = text(p, PASSWORD, "").toCharArray();
        if (password.length > 0 && username.isEmpty()) throw new BadSetting("username", "", "a user name when " + PASSWORD + " is set");
        keepAliveS = integer(p, "keepalive.s", 10, 1, 3600);
        connectTimeoutMs = integer(p, "connect.timeout.ms", 3000, 100, 600_000);
        publishTimeoutMs = integer(p, "publish.timeout.ms", 5000, 100, 600_000);
        reconnectInitialMs = integer(p, "reconnect.initial.ms", 100, 1, 600_000);
        reconnectMaxMs = integer(p, "reconnect.max.ms", 1000, reconnectInitialMs, 3_600_000);
        queueCapacity = integer(p, "queue.capacity", 10_000, 1, 10_000_000);
        inflightMax = integer(p, "inflight.max", 100, 1, 60_000);
        republishRate = integer(p, "republish.rate", 5000, 1, 10_000_000);
        syncTimeoutMs = integer(p, "sync.timeout.ms", 2000, 10, 600_000);
        commandsEnabled = bool(p, "commands.enabled", false);
        commandsAllow = list(p, "commands.allow");
        for (String a : commandsAllow) {
            String k = a.endsWith("*") ? a.substring(0, a.length() - 1) : a;
            if ((a.endsWith("*") ? k.length() > 256 : k.isEmpty() || k.length() > 256) || k.contains("*")) {
                throw new BadSetting("commands.allow", String.join(",", commandsAllow), "keys, or key prefixes ending in *, separated by commas");
            }
        }
        if (commandsEnabled && commandsAllow.isEmpty()) {
            throw new BadSetting("commands.allow", "", "at least one key or key prefix* when commands.enabled is true");
        }
        commandsMaxBytes = integer(p, "commands.max.bytes", 1024, 16, 1 << 20);
        String ca = text(p, "tls.ca.file", ""), cert = text(p, "tls.cert.file", ""), key = text(p, "tls.key.file", "");
        if (cert.isEmpty() != key.isEmpty()) {
            throw new BadSetting(cert.isEmpty() ? "tls.cert.file" : "tls.key.file", "", "both tls.cert.file and tls.key.file, or neither");
        }
        boolean ssl = brokerUris.stream().anyMatch(u -> u.startsWith("ssl://"));
        if (!ssl && !(ca + cert).isEmpty()) {
            throw new BadSetting("broker.uris", String.join(",", brokerUris), "ssl:// URIs when tls.ca.file or tls.cert.file is set");
        }
        tls = ssl ? Tls.socketFactory(ca, cert, key) : null;
        tlsHostnameCheck = bool(p, "tls.hostname.check", true);
        String mode = text(p, "mode", "plain");
        if (!mode.equals("plain") && !mode.equals("sparkplug")) throw new BadSetting("mode", mode, "plain or sparkplug");
        sparkplug = mode.equals("sparkplug");
        sparkplugGroup = text(p, "sparkplug.group.id", cluster);
        if (!sparkplugGroup.matches(NAME)) throw new BadSetting("sparkplug.group.id", sparkplugGroup, "1 to 64 characters from A-Z a-z 0-9 . - _");
        sparkplugDevices = list(p, "sparkplug.devices");
        for (String d : sparkplugDevices) {
            if (!d.matches(NAME)) throw new BadSetting("sparkplug.devices", String.join(",", sparkplugDevices), "device names (first key levels, 1 to 64 of A-Z a-z 0-9 . - _) separated by commas");
        }
        sparkplugPrimaryHost = text(p, "sparkplug.primary.host.id", "");
        if (!sparkplugPrimaryHost.isEmpty() && !sparkplugPrimaryHost.matches(NAME)) {
            throw new BadSetting("sparkplug.primary.host.id", sparkplugPrimaryHost, "1 to 64 characters from A-Z a-z 0-9 . - _, or nothing");
        }

    }

    static BridgeSettings from(Map<String, ?> properties) {
        return new BridgeSettings(properties);
    }

    char[] password() {
        return password.clone();
    }

    boolean publishes(String part) {
        return parts.isEmpty() || parts.contains(part);
    }

    /** Whether the allow-list lets commands write {@code key}. */
    boolean commandAllowed(String key) {
        for (String a : commandsAllow) {
            if (a.endsWith("*") ? key.startsWith(a.substring(0, a.length() - 1)) : key.equals(a)) return true;
        }
        return false;
    }

    private static Object raw(Map<String, ?> p, String name) {
        Object v = p.get(name);
        if (v instanceof String[] a) return a.length == 0 ? null : String.join(",", a);
        if (v instanceof java.util.Collection<?> c) return c.isEmpty() ? null : String.join(",", c.stream().map(String::valueOf).toList());
        return v;
    }

    private static String text(Map<String, ?> p, String name, String dflt) {
        Object v = raw(p, name);
        return v == null ? dflt : String.valueOf(v).trim();
    }

    private static String name(Map<String, ?> p, String name, String dflt) {
        String v = text(p, name, dflt);
        if (!v.matches(NAME)) throw new BadSetting(name, v, "1 to 64 characters from A-Z a-z 0-9 . - _");
        return v;
    }

    private static int integer(Map<String, ?> p, String name, Integer dflt, int min, int max) {
        Object v = raw(p, name);
        if (v == null || String.valueOf(v).isBlank()) {
            if (dflt == null) throw new BadSetting(name, "", "an integer from " + min + " to " + max + " (required)");
            return dflt;
        }
        long n;
        try {
            n = v instanceof Number num ? num.longValue() : Long.parseLong(String.valueOf(v).trim());
        } catch (NumberFormatException e) {
            throw new BadSetting(name, v, "an integer from " + min + " to " + max);
        }
        if (n < min || n > max) throw new BadSetting(name, v, "an integer from " + min + " to " + max);
        return (int) n;
    }

    private static boolean bool(Map<String, ?> p, String name, boolean dflt) {
        Object v = raw(p, name);
        if (v == null) return dflt;
        if (v instanceof Boolean b) return b;
        String s = String.valueOf(v).trim();
        if (s.equals("true")) return true;
        if (s.equals("false")) return false;
        throw new BadSetting(name, v, "true or false");
    }

    private static List<String> list(Map<String, ?> p, String name) {
        String v = text(p, name, "");
        if (v.isEmpty()) return List.of();
        return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static List<String> parts(Map<String, ?> p) {
        String v = text(p, "parts", "*");
        if (v.equals("*")) return List.of();
        List<String> out = list(p, "parts");
        if (out.isEmpty()) throw new BadSetting("parts", v, "* (every part of this node) or part names separated by commas");
        for (String s : out) {
            if (!s.matches(NAME)) throw new BadSetting("parts", v, "* or part names (1 to 64 characters from A-Z a-z 0-9 . - _) separated by commas");
        }
        return out;
    }

    private static List<String> uris(Map<String, ?> p) {
        List<String> out = new ArrayList<>();
        String allowed = "broker URIs tcp://host:port or ssl://host:port, separated by commas, tried in turn";
        for (String s : list(p, "broker.uris")) {
            try {
                URI u = new URI(s);
                if (!("tcp".equals(u.getScheme()) || "ssl".equals(u.getScheme())) || u.getHost() == null || u.getPort() < 1
                        || u.getPath() != null && !u.getPath().isEmpty()) {
                    throw new BadSetting("broker.uris", raw(p, "broker.uris"), allowed);
                }
            } catch (URISyntaxException e) {
                throw new BadSetting("broker.uris", raw(p, "broker.uris"), allowed);
            }
            out.add(s);
        }
        if (out.isEmpty()) throw new BadSetting("broker.uris", raw(p, "broker.uris") == null ? "" : raw(p, "broker.uris"), allowed + " (required)");
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        return "cluster=" + cluster + " node=" + node + " parts=" + (parts.isEmpty() ? "*" : String.join(",", parts)) + " broker.uris="
                + String.join(",", brokerUris) + " client.id=" + clientId + " prefix=" + prefix + " qos=" + qos
                + (username.isEmpty() ? "" : " username=" + username + " password=" + (password.length > 0 ? "(set)" : "(none)"))
                + " commands.enabled=" + commandsEnabled + (tls == null ? "" : " tls=on")
                + (sparkplug ? " mode=sparkplug group=" + sparkplugGroup + " devices=" + String.join(",", sparkplugDevices) : " mode=plain");
    }
}
