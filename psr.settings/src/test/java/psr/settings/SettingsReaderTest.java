package psr.settings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** One reading of every kind of value, whichever form ConfigAdmin hands it in, and one error form. */
class SettingsReaderTest {

    @interface Config {
        int tick_ms() default 10;

        int node();

        boolean forward_writes() default true;

        String durability() default "durable";

        String[] peers() default {"1=a", "2=b"};

        String part();
    }

    enum Durability { DURABLE, DISKLESS }

    enum Mode { AUTO, NEW_GROUP }

    private static SettingsReader reader(Object... pairs) {
        Map<String, Object> p = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) p.put((String) pairs[i], pairs[i + 1]);
        return new SettingsReader(p, Defaults.of(Config.class));
    }

    private static String refusal(org.junit.jupiter.api.function.Executable e) {
        return assertThrows(BadSetting.class, e).getMessage();
    }

    @Test
    void anIntegerIsTheSameWhicheverFormItComesIn() {
        assertEquals(50, reader("tick.ms", "50").integer("tick.ms", 1, 1000));
        assertEquals(50, reader("tick.ms", " 50 ").integer("tick.ms", 1, 1000));
        assertEquals(50, reader("tick.ms", 50).integer("tick.ms", 1, 1000));
        assertEquals(50, reader("tick.ms", 50L).integer("tick.ms", 1, 1000));
        assertEquals(50, reader("tick.ms", 50.0).integer("tick.ms", 1, 1000));
        assertEquals(50, reader("tick.ms", new String[] {"50"}).integer("tick.ms", 1, 1000));
        assertEquals(50, reader("tick.ms", List.of(50)).integer("tick.ms", 1, 1000));
        assertEquals(4294967295L, reader("id", "4294967295").longInteger("id", 0, 0xFFFF_FFFFL));
    }

    @Test
    void aBadIntegerIsRefusedNamingThePropertyTheValueAndTheRange() {
        assertEquals("property tick.ms = 'fast' is not allowed: expected an integer from 1 to 1000",
                refusal(() -> reader("tick.ms", "fast").integer("tick.ms", 1, 1000)));
        // A fraction is never cut to a whole number silently.
        assertEquals("property tick.ms = '50.5' is not allowed: expected an integer from 1 to 1000",
                refusal(() -> reader("tick.ms", 50.5).integer("tick.ms", 1, 1000)));
        assertEquals("property tick.ms = '5.0' is not allowed: expected an integer from 1 to 1000",
                refusal(() -> reader("tick.ms", "5.0").integer("tick.ms", 1, 1000)));
        assertEquals("property tick.ms = '2000' is not allowed: expected an integer from 1 to 1000",
                refusal(() -> reader("tick.ms", 2000).integer("tick.ms", 1, 1000)));
        assertEquals("property tick.ms = '99999999999999999999' is not allowed: expected an integer from 1 to 1000",
                refusal(() -> reader("tick.ms", "99999999999999999999").integer("tick.ms", 1, 1000)));
        assertEquals("property tick.ms = '5,6' is not allowed: expected an integer from 1 to 1000 (one value, not a list)",
                refusal(() -> reader("tick.ms", new String[] {"5", "6"}).integer("tick.ms", 1, 1000)));
        assertEquals("property bind.port = 'x' is not allowed: expected a port from 1 to 65535",
                refusal(() -> reader("bind.port", "x").integer("bind.port", 1, 65535, "a port from 1 to 65535")));
    }

    @Test
    void notSetMeansTheAnnotationsDefaultOrRequired() {
        assertEquals(10, reader().integer("tick.ms", 1, 1000));
        assertEquals(10, reader("tick.ms", "").integer("tick.ms", 1, 1000), "a blank line in a .cfg file is not set");
        assertEquals(10, reader("tick.ms", new String[0]).integer("tick.ms", 1, 1000));
        assertEquals(10, reader("tick.ms", new String[] {" "}).integer("tick.ms", 1, 1000));
        assertEquals("property node = (missing) is not allowed: expected an integer from 0 to 65535 (required)",
                refusal(() -> reader("node", " ").integer("node", 0, 65535)));
        assertEquals("", reader().text("part"));
        assertEquals(List.of("1=a", "2=b"), reader().list("peers"));
        assertEquals(Durability.DURABLE, reader().choice("durability", Durability.class));
        assertTrue(reader().bool("forward.writes"));
        assertFalse(reader("tick.ms", "").isSet("tick.ms"));
        assertTrue(reader("tick.ms", "3").isSet("tick.ms"));
    }

    @Test
    void booleansInAnyCaseAndNothingElse() {
        assertFalse(reader("forward.writes", "FALSE").bool("forward.writes"));
        assertFalse(reader("forward.writes", " false ").bool("forward.writes"));
        assertTrue(reader("forward.writes", "True").bool("forward.writes"));
        assertFalse(reader("forward.writes", Boolean.FALSE).bool("forward.writes"));
        assertFalse(reader("forward.writes", new String[] {"false"}).bool("forward.writes"));
        assertEquals("property forward.writes = 'yes' is not allowed: expected true or false",
                refusal(() -> reader("forward.writes", "yes").bool("forward.writes")));
        assertEquals("property commands.enabled = (missing) is not allowed: expected true or false (required)",
                refusal(() -> reader().bool("commands.enabled")));
    }

    @Test
    void choicesInAnyCaseWithDashOrUnderscore() {
        assertEquals(Mode.NEW_GROUP, reader("start.mode", "new-group").choice("start.mode", Mode.class));
        assertEquals(Mode.NEW_GROUP, reader("start.mode", " NEW_GROUP ").choice("start.mode", Mode.class));
        assertEquals("property start.mode = 'later' is not allowed: expected one of auto, new-group",
                refusal(() -> reader("start.mode", "later").choice("start.mode", Mode.class)));
    }

    @Test
    void listsSplitEveryElementAtCommasWhicheverFormTheyComeIn() {
        List<String> expected = List.of("1", "2", "3");
        assertEquals(expected, reader("r", "1, 2,3").list("r"));
        assertEquals(expected, reader("r", new String[] {"1", "2, 3"}).list("r"));
        assertEquals(expected, reader("r", List.of("1,2", "3")).list("r"));
        assertEquals(expected, reader("r", " 1 ,, 2 , 3 ,").list("r"));
        assertEquals(List.of(), reader("r", "").list("r"));
    }

    @Test
    void textIsTrimmedAndOneValue() {
        assertEquals("boiler", reader("part", " boiler ").text("part"));
        assertEquals("boiler", reader("part", new String[] {"boiler"}).text("part"));
        assertEquals("property part = 'a,b' is not allowed: expected one text value (one value, not a list)",
                refusal(() -> reader("part", new String[] {"a", "b"}).text("part")));
    }

    @Test
    void valuesAreShownAsWritten() {
        assertEquals("(missing)", BadSetting.show(null));
        assertEquals("'1,2'", BadSetting.show(new String[] {"1", "2"}));
        assertEquals("'1,2'", BadSetting.show(List.of(1, 2)));
        assertEquals("'x'", BadSetting.show("x"));
        BadSetting e = BadSetting.expected("p", "v", "w");
        assertEquals("p", e.property);
        assertEquals("property p = 'v' is not allowed: expected w", e.getMessage());
    }

    @Test
    void aSecretIsReadLikeTextButNeverShown() {
        assertEquals("hunter2", reader(".password", " hunter2 ").secret(".password"));
        assertEquals("hunter2", reader(".password", new String[] {"hunter2"}).secret(".password"));
        assertEquals("", reader().secret(".password"));
        assertEquals("a,b", reader(".password", new String[] {"a,b"}).secret(".password"), "never split at commas");
        String m = refusal(() -> reader(".password", new String[] {"hunter2", "x"}).secret(".password"));
        assertEquals("property .password = '(hidden)' is not allowed: expected one text value (one value, not a list)", m);
    }
}
