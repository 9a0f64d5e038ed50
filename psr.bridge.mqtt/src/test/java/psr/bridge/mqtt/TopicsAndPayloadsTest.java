package psr.bridge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import psr.api.state.Value;

class TopicsAndPayloadsTest {
    final Topics t = new Topics("psr/plant");

    @Test
    void keysMapToTopicsOneToOne() {
        String[][] cases = {
                {"pump1/speed", "psr/plant/boiler/pump1/speed"},
                {"$task/t/cycle", "psr/plant/boiler/%24task/t/cycle"},
                {"a+b#c%d", "psr/plant/boiler/a%2Bb%23c%25d"},
                {"valve/set", "psr/plant/boiler/valve/%73et"},
                {"set", "psr/plant/boiler/%73et"},
                {"x$/settle", "psr/plant/boiler/x$/settle"},
        };
        for (String[] c : cases) {
            assertEquals(c[1], t.key("boiler", c[0]));
            Topics.Parsed p = t.parse("boiler", c[1]);
            assertEquals(Topics.Kind.KEY, p.kind(), c[1]);
            assertEquals(c[0], p.key());
            Topics.Parsed cmd = t.parse("boiler", t.command("boiler", c[0]));
            assertEquals(Topics.Kind.COMMAND, cmd.kind());
            assertEquals(c[0], cmd.key());
        }
        assertEquals(Topics.Kind.LIFECYCLE, t.parse("boiler", "psr/plant/boiler/$primary").kind());
        assertEquals(Topics.Kind.OTHER, t.parse("boiler", "psr/plant/mixer/x").kind());
        assertEquals(Topics.Kind.OTHER, t.parse("boiler", "psr/plant/boiler/a%2bb").kind(), "not an encoding the bridge makes");
        assertNull(Topics.decodeKey("%2"));
    }

    @Test
    void valuePayloadsAreJsonWithTypeTimestampOpAndView() {
        assertEquals("{\"value\":71.5,\"type\":\"double\",\"ts\":1700000000000,\"op\":42,\"view\":3}",
                new String(Payloads.value(Value.ofDouble(71.5, 1_700_000_000_000L), 42, 3), StandardCharsets.UTF_8));
        assertEquals("{\"value\":\"NaN\",\"type\":\"float\",\"ts\":0,\"op\":1,\"view\":0}", new String(Payloads.value(Value.ofFloat(Float.NaN), 1, 0), StandardCharsets.UTF_8));
        assertEquals("{\"value\":\"a\\\"b\\\\\\n\",\"type\":\"string\",\"ts\":0,\"op\":1,\"view\":0}",
                new String(Payloads.value(Value.ofString("a\"b\\\n"), 1, 0), StandardCharsets.UTF_8));
        assertEquals("{\"value\":-9223372036854775808,\"type\":\"int64\",\"ts\":0,\"op\":1,\"view\":0}",
                new String(Payloads.value(Value.ofInt64(Long.MIN_VALUE), 1, 0), StandardCharsets.UTF_8));
    }

    static Value command(String json, Value current) throws Payloads.Refused {
        return Payloads.command(json.getBytes(StandardCharsets.UTF_8), current, 99);
    }

    static String refused(String json, Value current) {
        return assertThrows(Payloads.Refused.class, () -> command(json, current)).reason;
    }

    @Test
    void commandsParseOrSayWhy() throws Exception {
        assertEquals(Value.ofDouble(1.5, 99), command("{\"value\":1.5,\"type\":\"double\"}", null));
        assertEquals(Value.ofDouble(2, 7), command(" { \"value\" : 2 , \"ts\" : 7 } ", Value.ofDouble(0)), "type taken from the key");
        assertEquals(Value.ofInt64(Long.MAX_VALUE, 99), command("{\"value\":9223372036854775807,\"type\":\"int64\"}", null), "no rounding through double");
        assertEquals(Value.ofBytes(new byte[] {1, 2}, 99), command("{\"value\":\"AQI=\",\"type\":\"bytes\"}", null));
        assertEquals(Value.ofString("é\n", 99), command("{\"value\":\"\\u00e9\\n\",\"type\":\"string\"}", null));
        assertEquals("unparseable", refused("{\"value\":1", null));
        assertEquals("unparseable", refused("{\"value\":{\"x\":1}}", null));
        assertEquals("unparseable", refused("{\"value\":1,\"extra\":2}", null));
        assertEquals("unparseable", refused("[1]", null));
        assertEquals("wrong-type", refused("{\"value\":1}", null));
        assertEquals("wrong-type", refused("{\"value\":1,\"type\":\"int32\"}", Value.ofDouble(0)));
        assertEquals("wrong-type", refused("{\"value\":1,\"type\":\"decimal\"}", null));
        assertEquals("bad-value", refused("{\"value\":1.5,\"type\":\"int32\"}", null));
        assertEquals("bad-value", refused("{\"value\":4294967296,\"type\":\"int32\"}", null));
        assertEquals("bad-value", refused("{\"value\":\"yes\",\"type\":\"bool\"}", null));
        assertEquals("bad-value", refused("{\"value\":\"!!\",\"type\":\"bytes\"}", null));
        assertTrue(assertThrows(Payloads.Refused.class, () -> command("{\"value\":1", null)).getMessage().contains("character"));
    }
}
