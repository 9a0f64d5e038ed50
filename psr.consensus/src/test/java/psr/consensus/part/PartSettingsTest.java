package psr.consensus.part;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** A part's configuration as the user writes it: every error and warning in the property names of the file. */
class PartSettingsTest {

    private static Map<String, Object> minimal() {
        Map<String, Object> p = new HashMap<>();
        p.put("part", "boiler");
        p.put("node", 1);
        p.put("replicas", "1,2,3");
        p.put("storage.directory", "/data/boiler");
        return p;
    }

    @Test
    void misspeltPropertiesAreWarnedAboutNamingTheClosestKnownOne() {
        Map<String, Object> p = minimal();
        p.put("forward.write", "false");
        p.put("heartbeat.msec", "20");
        p.put("service.pid", "psr.part~boiler");
        p.put("felix.fileinstall.filename", "file:/deploy/psr.part-boiler.cfg");
        p.put("component.id", 7);
        p.put("transport.target", "(psr.node=1)");
        p.put(".private", "x");
        assertEquals(List.of(
                "property forward.write is not a part property and is ignored; did you mean forward.writes?",
                "property heartbeat.msec is not a part property and is ignored; did you mean heartbeat.ms?"),
                PartSettings.unknownProperties(p));
        assertEquals(List.of(), PartSettings.unknownProperties(minimal()));
    }

    @Test
    void timingErrorsAfterRoundingToTicksNameTheMillisecondProperties() {
        Map<String, Object> p = minimal();
        p.put("tick.ms", 10);
        p.put("heartbeat.ms", 15); // 2 ticks
        p.put("connectivity.window.ms", 30); // 3 ticks: fewer than twice the heartbeat's 2 ticks
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PartSettings.from(p));
        assertEquals("property connectivity.window.ms = '30' is not allowed: expected at least 40 (twice heartbeat.ms = 15"
                + " rounded up to whole ticks of tick.ms = 10)", e.getMessage());
        p.put("connectivity.window.ms", 40);
        assertEquals(4, PartSettings.from(p).replicaConfig().connectivityWindowTicks());
        p.put("heartbeat.ms", 10);
        p.put("connectivity.window.ms", 30);
        p.put("election.timeout.ms", 35);
        e = assertThrows(IllegalArgumentException.class, () -> PartSettings.from(p));
        assertEquals("property election.timeout.ms = '35' is not allowed: expected an integer from 40 to 600000", e.getMessage());
    }

    @Test
    void changedPropertiesNamesWhatDiffersAsTheUserWritesIt() {
        // changedProperties relies on the record's components being PROPERTIES in order.
        java.lang.reflect.RecordComponent[] components = PartSettings.class.getRecordComponents();
        for (int i = 0; i < components.length; i++) {
            String camel = components[i].getName();
            String written = PartSettings.PROPERTIES.get(i);
            StringBuilder expected = new StringBuilder();
            for (String w : written.split("\\.")) expected.append(expected.length() == 0 ? w : Character.toUpperCase(w.charAt(0)) + w.substring(1));
            assertEquals(expected.toString(), camel, "component " + i + " is property " + written);
        }
        PartSettings before = PartSettings.from(minimal());
        Map<String, Object> p = minimal();
        p.put("forward.writes", "false");
        p.put("election.timeout.ms", 900);
        assertEquals(java.util.List.of("election.timeout.ms", "forward.writes"), PartSettings.changedProperties(before, PartSettings.from(p)));
        assertEquals(java.util.List.of(), PartSettings.changedProperties(before, PartSettings.from(minimal())));
    }

    @Test
    void everyDefaultIsTheMetatypeDefault() throws Exception {
        // The properties the parser knows are the ones Metatype describes, and a configuration that sets none of the
        // optional ones gets exactly the annotation's defaults.
        java.util.Set<String> described = new java.util.TreeSet<>();
        PartSettings defaults = PartSettings.from(minimal());
        for (java.lang.reflect.Method m : PartComponent.Config.class.getDeclaredMethods()) {
            String property = psr.settings.Defaults.propertyName(m.getName());
            described.add(property);
            Object annotated = m.getDefaultValue();
            int i = PartSettings.PROPERTIES.indexOf(property);
            if (annotated == null || i >= PartSettings.class.getRecordComponents().length || minimal().containsKey(property)) continue;
            Object parsed = PartSettings.class.getRecordComponents()[i].getAccessor().invoke(defaults);
            String shown = parsed instanceof Enum<?> e ? e.name().toLowerCase().replace('_', '-') : String.valueOf(parsed);
            assertEquals(String.valueOf(annotated), shown, "default of " + property);
        }
        assertEquals(new java.util.TreeSet<>(PartSettings.PROPERTIES), described);
    }

    @Test
    void valuesAreReadAsEveryComponentReadsThem() {
        // A blank line in a .cfg file is the default (the transport already read it so; the part refused it).
        Map<String, Object> p = minimal();
        p.put("heartbeat.ms", "");
        p.put("forward.writes", " ");
        assertEquals(50, PartSettings.from(p).heartbeatMs());
        assertEquals(true, PartSettings.from(p).forwardWrites());
        // A typed fraction is refused, not cut to a whole number.
        p.put("heartbeat.ms", 50.5);
        assertEquals("property heartbeat.ms = '50.5' is not allowed: expected an integer from 10 to 60000",
                assertThrows(PartSettings.BadSetting.class, () -> PartSettings.from(p)).getMessage());
        // A one-element list (typed configuration) is its value; list elements are split at commas in every form.
        p.put("heartbeat.ms", new String[] {"60"});
        p.put("node", new String[] {"2"});
        p.put("replicas", List.of("1,2", "3"));
        PartSettings s = PartSettings.from(p);
        assertEquals(60, s.heartbeatMs());
        assertEquals(2, s.node());
        assertEquals(List.of(1, 2, 3), s.replicas());
        p.put("replicas", new String[] {"1", "2", "x"});
        assertEquals("property replicas = '1,2,x' is not allowed: expected 1 to 9 distinct node ids (0 to 65535), comma-separated,"
                + " the same list in the same order on every node", assertThrows(PartSettings.BadSetting.class, () -> PartSettings.from(p)).getMessage());
    }

    @Test
    void aMissingRequiredPropertyIsSaidSo() {
        Map<String, Object> p = minimal();
        p.remove("node");
        assertEquals("property node = (missing) is not allowed: expected an integer from 0 to 65535 (required)",
                assertThrows(PartSettings.BadSetting.class, () -> PartSettings.from(p)).getMessage());
        p.put("node", 1);
        p.remove("part");
        assertEquals("property part = (missing) is not allowed: expected 1 to 64 characters from A-Z a-z 0-9 . - _",
                assertThrows(PartSettings.BadSetting.class, () -> PartSettings.from(p)).getMessage());
    }
}
