package psr.bridge.mqtt;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import psr.settings.Defaults;
import psr.settings.SettingsReader;

/**
 * A bridge's configuration, checked by the settings checker every PSR component uses ({@link SettingsReader}) with the
 * defaults of the bridge's metatype: {@link #from} names the first property that is wrong, its value and what is
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

    /** The bridge's defaults: those of its metatype ({@link BridgeComponent.Config}), the only place they are written. */
    private static final Defaults DEFAULTS = Defaults.of(BridgeComponent.Config.class);

    /** A property with a value that is not allowed; the password is never shown. */
    static final class BadSetting extends psr.settings.BadSetting {
        private static final long serialVersionUID = 1L;

        BadSetting(String property, Object value, String allowed) {
            super(property, property.equals(PASSWORD) ? "(hidden)" : value, "expected " + allowed);
        }
    }

    private BridgeSettings(SettingsReader p) {
        cluster = name(p, "cluster");
        node = p.integer("node", 0, 65535);
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
        qos = p.integer("qos", 0, 2);
        username = p.text("username");
        password = p.secret(PASSWORD).toCharArray();
        if (password.length > 0 && username.isEmpty()) throw new BadSetting("username", "", "a user name when " + PASSWORD + " is set");
        keepAliveS = p.integer("keepalive.s", 1, 3600);
        connectTimeoutMs = p.integer("connect.timeout.ms", 100, 600_000);
        publishTimeoutMs = p.integer("publish.timeout.ms", 100, 600_000);
        reconnectInitialMs = p.integer("reconnect.initial.ms", 1, 600_000);
        reconnectMaxMs = p.integer("reconnect.max.ms", reconnectInitialMs, 3_600_000);
        queueCapacity = p.integer("queue.capacity", 1, 10_000_000);
        inflightMax = p.integer("inflight.max", 1, 60_000);
        republishRate = p.integer("republish.rate", 1, 10_000_000);
        syncTimeoutMs = p.integer("sync.timeout.ms", 10, 600_000);
        commandsEnabled = p.bool("commands.enabled");
        commandsAllow = p.list("commands.allow");
        for (String a : commandsAllow) {
            String k = a.endsWith("*") ? a.substring(0, a.length() - 1) : a;
            if ((a.endsWith("*") ? k.length() > 256 : k.isEmpty() || k.length() > 256) || k.contains("*")) {
                throw new BadSetting("commands.allow", String.join(",", commandsAllow), "keys, or key prefixes ending in *, separated by commas");
            }
        }
        if (commandsEnabled && commandsAllow.isEmpty()) {
            throw new BadSetting("commands.allow", "", "at least one key or key prefix* when commands.enabled is true");
        }
        commandsMaxBytes = p.integer("commands.max.bytes", 16, 1 << 20);
        String ca = p.text("tls.ca.file"), cert = p.text("tls.cert.file"), key = p.text("tls.key.file");
        if (cert.isEmpty() != key.isEmpty()) {
            throw new BadSetting(cert.isEmpty() ? "tls.cert.file" : "tls.key.file", "", "both tls.cert.file and tls.key.file, or neither");
        }
        boolean ssl = brokerUris.stream().anyMatch(u -> u.startsWith("ssl://"));
        if (!ssl && !(ca + cert).isEmpty()) {
            throw new BadSetting("broker.uris", String.join(",", brokerUris), "ssl:// URIs when tls.ca.file or tls.cert.file is set");
        }
        tls = ssl ? Tls.socketFactory(ca, cert, key) : null;
        tlsHostnameCheck = p.bool("tls.hostname.check");
        String mode = p.text("mode");
        if (!mode.equals("plain") && !mode.equals("sparkplug")) throw new BadSetting("mode", mode, "plain or sparkplug");
        sparkplug = mode.equals("sparkplug");
        sparkplugGroup = text(p, "sparkplug.group.id", cluster);
        if (!sparkplugGroup.matches(NAME)) throw new BadSetting("sparkplug.group.id", sparkplugGroup, "1 to 64 characters from A-Z a-z 0-9 . - _");
        sparkplugDevices = p.list("sparkplug.devices");
        for (String d : sparkplugDevices) {
            if (!d.matches(NAME)) throw new BadSetting("sparkplug.devices", String.join(",", sparkplugDevices), "device names (first key levels, 1 to 64 of A-Z a-z 0-9 . - _) separated by commas");
        }
        sparkplugPrimaryHost = p.text("sparkplug.primary.host.id");
        if (!sparkplugPrimaryHost.isEmpty() && !sparkplugPrimaryHost.matches(NAME)) {
            throw new BadSetting("sparkplug.primary.host.id", sparkplugPrimaryHost, "1 to 64 characters from A-Z a-z 0-9 . - _, or nothing");
        }

    }

    static BridgeSettings from(Map<String, ?> properties) {
        return new BridgeSettings(new SettingsReader(properties, DEFAULTS));
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

    /** One text value; {@code dflt} (computed from other properties) when not set. */
    private static String text(SettingsReader p, String name, String dflt) {
        return p.isSet(name) ? p.text(name) : dflt;
    }

    private static String name(SettingsReader p, String name) {
        String v = p.text(name);
        if (!v.matches(NAME)) throw new BadSetting(name, v, "1 to 64 characters from A-Z a-z 0-9 . - _");
        return v;
    }

    private static List<String> parts(SettingsReader p) {
        List<String> out = p.list("parts");
        if (out.equals(List.of("*"))) return List.of();
        Object v = p.written("parts");
        if (out.isEmpty()) throw new BadSetting("parts", v, "* (every part of this node) or part names separated by commas");
        for (String s : out) {
            if (!s.matches(NAME)) throw new BadSetting("parts", v, "* or part names (1 to 64 characters from A-Z a-z 0-9 . - _) separated by commas");
        }
        return out;
    }

    private static List<String> uris(SettingsReader p) {
        List<String> out = new ArrayList<>();
        String allowed = "broker URIs tcp://host:port or ssl://host:port, separated by commas, tried in turn";
        for (String s : p.list("broker.uris")) {
            try {
                URI u = new URI(s);
                if (!("tcp".equals(u.getScheme()) || "ssl".equals(u.getScheme())) || u.getHost() == null || u.getPort() < 1
                        || u.getPath() != null && !u.getPath().isEmpty()) {
                    throw new BadSetting("broker.uris", p.written("broker.uris"), allowed);
                }
            } catch (URISyntaxException e) {
                throw new BadSetting("broker.uris", p.written("broker.uris"), allowed);
            }
            out.add(s);
        }
        if (out.isEmpty()) throw new BadSetting("broker.uris", p.written("broker.uris"), allowed + " (required)");
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
