package psr.settings;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Set;

import org.junit.jupiter.api.Test;

/** The defaults come from the annotation, under the property names DS derives from its methods. */
class DefaultsTest {

    @interface Config {
        int heartbeat_ms() default 50;

        String _password();

        String start$_$mode() default "auto";

        String client__id() default "c";

        String dollar$$sign() default "d";

        String single$dollar() default "s";

        String[] peers() default {"1=a"};

        long cluster_id();
    }

    @Test
    void propertyNamesFollowTheDsRules() {
        assertEquals("heartbeat.ms", Defaults.propertyName("heartbeat_ms"));
        assertEquals(".password", Defaults.propertyName("_password"));
        assertEquals("start-mode", Defaults.propertyName("start$_$mode"));
        assertEquals("client_id", Defaults.propertyName("client__id"));
        assertEquals("dollar$sign", Defaults.propertyName("dollar$$sign"));
        assertEquals("singledollar", Defaults.propertyName("single$dollar"));
    }

    @Test
    void theAnnotationsDefaultValuesByPropertyName() {
        Defaults d = Defaults.of(Config.class);
        assertEquals(Set.of("heartbeat.ms", ".password", "start-mode", "client_id", "dollar$sign", "singledollar", "peers",
                "cluster.id"), d.properties());
        assertEquals(50, d.get("heartbeat.ms"));
        assertEquals("auto", d.get("start-mode"));
        assertArrayEquals(new String[] {"1=a"}, (String[]) d.get("peers"));
        assertNull(d.get("cluster.id"));
        assertNull(d.get(".password"));
        assertNull(d.get("not.declared"));
        assertEquals(long.class, d.type("cluster.id"));
        assertNull(Defaults.none().get("heartbeat.ms"));
    }
}
