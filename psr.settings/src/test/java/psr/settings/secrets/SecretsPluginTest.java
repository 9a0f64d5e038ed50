package psr.settings.secrets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Hashtable;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The plugin takes a component's secrets out of what SCR sees and gives them back only to the component's parser. */
class SecretsPluginTest {

    static final class Plugin extends SecretsPlugin {
        Plugin() {
            super("psr.test", "keys", ".password");
        }
    }

    private static Hashtable<String, Object> configuration(String pid, String factoryPid, Object... pairs) {
        Hashtable<String, Object> d = new Hashtable<>();
        d.put("service.pid", pid);
        if (factoryPid != null) d.put("service.factoryPid", factoryPid);
        for (int i = 0; i < pairs.length; i += 2) d.put((String) pairs[i], pairs[i + 1]);
        return d;
    }

    @Test
    void secretsAreTakenOutOfTheConfigurationAndRestoredForTheParser() {
        Plugin plugin = new Plugin();
        Hashtable<String, Object> d = configuration("psr.test", null, "keys", "1=hex:00", "node.id", 1);
        plugin.modifyConfiguration(null, d);
        assertFalse(d.containsKey("keys"), "SCR never sees the key");
        assertEquals(1, d.get("node.id"));
        Map<String, Object> parsed = SecretsPlugin.restore(Map.of("service.pid", "psr.test", "node.id", 1));
        assertEquals("1=hex:00", parsed.get("keys"));

        // A factory configuration is matched by its factory PID and held by its own PID.
        Hashtable<String, Object> f = configuration("psr.test~a", "psr.test", ".password", "hunter2");
        plugin.modifyConfiguration(null, f);
        assertFalse(f.containsKey(".password"));
        assertEquals("hunter2", SecretsPlugin.restore(Map.of("service.pid", "psr.test~a")).get(".password"));
    }

    @Test
    void aSecretDeletedFromTheConfigurationIsForgotten() {
        Plugin plugin = new Plugin();
        plugin.modifyConfiguration(null, configuration("psr.test~b", "psr.test", "keys", "1=hex:00"));
        plugin.modifyConfiguration(null, configuration("psr.test~b", "psr.test", "node.id", 1));
        assertFalse(SecretsPlugin.restore(Map.of("service.pid", "psr.test~b")).containsKey("keys"));
    }

    @Test
    void otherComponentsConfigurationsAreLeftAlone() {
        Plugin plugin = new Plugin();
        Hashtable<String, Object> other = configuration("psr.other", null, "keys", "k");
        plugin.modifyConfiguration(null, other);
        assertTrue(other.containsKey("keys"));
        assertFalse(SecretsPlugin.restore(Map.of("service.pid", "psr.other")).containsKey("keys"));
    }
}
