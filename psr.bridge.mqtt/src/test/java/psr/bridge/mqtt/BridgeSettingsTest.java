package psr.bridge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** A bad value names the property, the value and what is allowed, in one line; a password never shows. */
class BridgeSettingsTest {

    static Map<String, Object> good() {
        Map<String, Object> p = new HashMap<>();
        p.put("node", 1);
        p.put("broker.uris", "tcp://127.0.0.1:1883");
        return p;
    }

    static String refusal(String property, Object value) {
        Map<String, Object> p = good();
        if (value == null) p.remove(property); else p.put(property, value);
        return assertThrows(psr.settings.BadSetting.class, () -> BridgeSettings.from(p)).getMessage();
    }

    @Test
    void defaultsFollowTheIssue() {
        BridgeSettings s = BridgeSettings.from(good());
        assertEquals("psr/main", s.prefix);
        assertEquals(1, s.qos);
        assertEquals("psr-main-1", s.clientId);
        assertFalse(s.commandsEnabled);
        assertTrue(s.publishes("anything"));
        Map<String, Object> p = good();
        p.put("cluster", "plant");
        p.put("parts", "boiler, mixer");
        s = BridgeSettings.from(p);
        assertEquals("psr/plant", s.prefix);
        assertTrue(s.publishes("mixer"));
        assertFalse(s.publishes("other"));
    }

    @Test
    void eachBadValueIsNamedWithWhatIsAllowed() {
        assertEquals("property qos = '3' is not allowed: expected an integer from 0 to 2", refusal("qos", 3));
        assertEquals("property node = (missing) is not allowed: expected an integer from 0 to 65535 (required)", refusal("node", null));
        assertEquals("property broker.uris = 'http://x:1' is not allowed: expected broker URIs tcp://host:port or ssl://host:port, separated by commas, tried in turn",
                refusal("broker.uris", "http://x:1"));
        assertTrue(refusal("broker.uris", null).startsWith("property broker.uris = (missing) is not allowed: expected broker URIs"));
        assertEquals("property mode = 'sparkplugb' is not allowed: expected plain or sparkplug", refusal("mode", "sparkplugb"));
        assertEquals("property sparkplug.primary.host.id = 'scada/1' is not allowed: expected 1 to 64 characters from A-Z a-z 0-9 . - _, or nothing",
                refusal("sparkplug.primary.host.id", "scada/1"));
        assertEquals("property prefix = 'a/#' is not allowed: expected no + # or NUL (MQTT wildcards) in a topic prefix", refusal("prefix", "a/#"));
        assertEquals("property commands.enabled = 'yes' is not allowed: expected true or false", refusal("commands.enabled", "yes"));
        assertEquals("property commands.allow = '' is not allowed: expected at least one key or key prefix* when commands.enabled is true",
                refusal("commands.enabled", true));
        assertEquals("property reconnect.max.ms = '10' is not allowed: expected an integer from 100 to 3600000", refusal("reconnect.max.ms", 10));
        assertEquals("property parts = 'a b' is not allowed: expected * or part names (1 to 64 characters from A-Z a-z 0-9 . - _) separated by commas",
                refusal("parts", "a b"));
    }

    @Test
    void thePasswordIsNeverShown() {
        Map<String, Object> p = good();
        p.put("username", "scada");
        p.put(BridgeSettings.PASSWORD, "hunter2");
        BridgeSettings s = BridgeSettings.from(p);
        assertEquals("hunter2", new String(s.password()));
        assertFalse(s.toString().contains("hunter2"), s.toString());
        assertTrue(s.toString().contains("password=(set)"), s.toString());
        p.remove("username");
        String m = assertThrows(BridgeSettings.BadSetting.class, () -> BridgeSettings.from(p)).getMessage();
        assertFalse(m.contains("hunter2"), m);
        assertEquals("property .password = '(hidden)' is not allowed: expected no password without a username",
                new BridgeSettings.BadSetting(BridgeSettings.PASSWORD, "hunter2", "no password without a username").getMessage());
    }

    @Test
    void theAllowListTakesKeysAndPrefixes() {
        Map<String, Object> p = good();
        p.put("commands.enabled", "true");
        p.put("commands.allow", new String[] {"setpoint", "pump1/*"});
        BridgeSettings s = BridgeSettings.from(p);
        assertTrue(s.commandAllowed("setpoint"));
        assertFalse(s.commandAllowed("setpoint2"));
        assertTrue(s.commandAllowed("pump1/speed"));
        assertFalse(s.commandAllowed("pump2/speed"));
        p.put("commands.allow", "a*b");
        assertThrows(BridgeSettings.BadSetting.class, () -> BridgeSettings.from(p));
    }

    @Test
    void valuesAreReadAsEveryComponentReadsThem() {
        // Booleans in any case, as the part reads forward.writes (the bridge refused TRUE).
        Map<String, Object> p = good();
        p.put("commands.enabled", "TRUE");
        p.put("commands.allow", "setpoint");
        assertTrue(BridgeSettings.from(p).commandsEnabled);
        // A typed fraction is refused, not cut to a whole number (keepalive.s 10.5 was 10).
        p.put("keepalive.s", 10.5);
        assertEquals("property keepalive.s = '10.5' is not allowed: expected an integer from 1 to 3600",
                assertThrows(psr.settings.BadSetting.class, () -> BridgeSettings.from(p)).getMessage());
        p.put("keepalive.s", " ");
        assertEquals(10, BridgeSettings.from(p).keepAliveS, "blank is the default");
        p.put("broker.uris", new String[] {"tcp://a:1", "tcp://b:2, tcp://c:3"});
        assertEquals(java.util.List.of("tcp://a:1", "tcp://b:2", "tcp://c:3"), BridgeSettings.from(p).brokerUris);
    }

    @Test
    void aPasswordGivenAsAListIsRefusedWithoutShowingIt() {
        Map<String, Object> p = good();
        p.put("username", "scada");
        p.put(BridgeSettings.PASSWORD, new String[] {"hunter2", "second"});
        String m = assertThrows(psr.settings.BadSetting.class, () -> BridgeSettings.from(p)).getMessage();
        assertFalse(m.contains("hunter2"), m);
        assertEquals("property .password = '(hidden)' is not allowed: expected one text value (one value, not a list)", m);
    }

    @Test
    void everyDefaultIsTheMetatypeDefault() throws Exception {
        BridgeSettings s = BridgeSettings.from(good());
        Map<String, Object> parsed = new java.util.TreeMap<>();
        parsed.put("cluster", s.cluster);
        parsed.put("parts", s.parts.isEmpty() ? "*" : String.join(",", s.parts));
        parsed.put("mode", s.sparkplug ? "sparkplug" : "plain");
        parsed.put("qos", s.qos);
        parsed.put("tls.hostname.check", s.tlsHostnameCheck);
        parsed.put("keepalive.s", s.keepAliveS);
        parsed.put("connect.timeout.ms", s.connectTimeoutMs);
        parsed.put("publish.timeout.ms", s.publishTimeoutMs);
        parsed.put("reconnect.initial.ms", s.reconnectInitialMs);
        parsed.put("reconnect.max.ms", s.reconnectMaxMs);
        parsed.put("queue.capacity", s.queueCapacity);
        parsed.put("inflight.max", s.inflightMax);
        parsed.put("republish.rate", s.republishRate);
        parsed.put("sync.timeout.ms", s.syncTimeoutMs);
        parsed.put("commands.enabled", s.commandsEnabled);
        parsed.put("commands.max.bytes", s.commandsMaxBytes);
        Map<String, Object> annotated = new java.util.TreeMap<>();
        for (java.lang.reflect.Method m : BridgeComponent.Config.class.getDeclaredMethods()) {
            if (m.getDefaultValue() != null) annotated.put(psr.settings.Defaults.propertyName(m.getName()), m.getDefaultValue());
        }
        assertEquals(annotated.toString(), parsed.toString());
    }
}
