package psr.settings;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Reads a component's configuration properties the one way every PSR component reads them, and refuses a bad value
 * with a {@link BadSetting} naming the property as written, the value and what is allowed.
 *
 * <p>The values come as ConfigAdmin gives them: strings from a {@code .cfg} file (FileInstall), typed values and arrays
 * from a {@code .config} file or a program. The rules, the same for every property of every component:
 * <ul>
 * <li><b>Not set</b>: a property that is absent, null, blank, or an empty list takes the default of the component's
 *     metatype annotation ({@link Defaults}); without one, an integer or boolean is refused as required and a text or
 *     list is empty. (A blank line {@code heartbeat.ms =} in a {@code .cfg} file is therefore the default, not an
 *     error.)</li>
 * <li><b>One value</b> (text, integer, boolean, choice) may be given as a list of exactly one element; a list of more
 *     is refused.</li>
 * <li><b>Integers</b>: decimal digits with an optional sign, surrounding spaces ignored, or an integral number; a typed
 *     {@code 50.0} is 50, a typed {@code 50.5} is refused (never silently cut to 50).</li>
 * <li><b>Booleans</b>: {@code true} or {@code false}, in any case.</li>
 * <li><b>Choices</b>: one of an enum's constants, in any case, {@code -} and {@code _} alike
 *     ({@code new-group} is {@code NEW_GROUP}).</li>
 * <li><b>Lists</b>: a list, or one string, every element split at commas, each item trimmed, empty items dropped.</li>
 * </ul>
 */
public final class SettingsReader {
    private final Map<String, ?> properties;
    private final Defaults defaults;

    public SettingsReader(Map<String, ?> properties, Defaults defaults) {
        this.properties = properties;
        this.defaults = defaults;
    }

    /** The value as written, for messages; null when not set. */
    public Object written(String name) {
        Object v = properties.get(name);
        return isBlank(v) ? null : v;
    }

    /** Whether the configuration gives {@code name} a value (not absent, not blank). */
    public boolean isSet(String name) {
        return written(name) != null;
    }

    /** The value, or the default when not set; null when neither. */
    private Object valueOrDefault(String name) {
        Object v = written(name);
        return v != null ? v : defaults.get(name);
    }

    /** One text value, trimmed; the default, or "" when not set and there is none. */
    public String text(String name) {
        Object v = single(name, valueOrDefault(name), "one text value");
        return v == null ? "" : String.valueOf(v).trim();
    }

    /**
     * One text value, trimmed, that is never shown: a refusal (a list given for it) says {@code '(hidden)'} instead of
     * the value. "" when not set.
     */
    public String secret(String name) {
        Object v;
        try {
            v = single(name, valueOrDefault(name), "one text value");
        } catch (BadSetting e) {
            throw BadSetting.expected(name, HIDDEN, "one text value (one value, not a list)");
        }
        return v == null ? "" : String.valueOf(v).trim(); // not split at commas: a password may hold one
    }

    /** How a secret's value is shown. */
    public static final String HIDDEN = "(hidden)";

    /** An integer from {@code min} to {@code max}. */
    public int integer(String name, int min, int max) {
        return (int) longInteger(name, min, max, "an integer from " + min + " to " + max);
    }

    /** An integer from {@code min} to {@code max}; {@code allowed} says what is allowed in the operator's words. */
    public int integer(String name, int min, int max, String allowed) {
        return (int) longInteger(name, min, max, allowed);
    }

    public long longInteger(String name, long min, long max) {
        return longInteger(name, min, max, "an integer from " + min + " to " + max);
    }

    public long longInteger(String name, long min, long max, String allowed) {
        Object v = valueOrDefault(name);
        if (v == null) throw BadSetting.expected(name, null, allowed + " (required)");
        Object one = single(name, v, allowed);
        Long n = wholeNumber(one);
        if (n == null || n < min || n > max) throw BadSetting.expected(name, written(name) != null ? written(name) : one, allowed);
        return n;
    }

    public boolean bool(String name) {
        Object v = valueOrDefault(name);
        if (v == null) throw BadSetting.expected(name, null, "true or false (required)");
        Object one = single(name, v, "true or false");
        if (one instanceof Boolean b) return b;
        String s = String.valueOf(one).trim();
        if (s.equalsIgnoreCase("true")) return true;
        if (s.equalsIgnoreCase("false")) return false;
        throw BadSetting.expected(name, written(name), "true or false");
    }

    /** One of {@code type}'s constants, written in lower case with {@code -} (the way the error lists them). */
    public <E extends Enum<E>> E choice(String name, Class<E> type) {
        List<String> allowed = new ArrayList<>();
        for (E e : type.getEnumConstants()) allowed.add(e.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        String expected = "one of " + String.join(", ", allowed);
        Object v = valueOrDefault(name);
        if (v == null) throw BadSetting.expected(name, null, expected + " (required)");
        String s = String.valueOf(single(name, v, expected)).trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_');
        for (E e : type.getEnumConstants()) if (e.name().equals(s)) return e;
        throw BadSetting.expected(name, written(name), expected);
    }

    /** The items of a list; the default's, or none, when not set. */
    public List<String> list(String name) {
        return items(valueOrDefault(name));
    }

    /** A list's items as this reader reads them: every element split at commas, trimmed, empty ones dropped. */
    public static List<String> items(Object value) {
        List<String> out = new ArrayList<>();
        if (value instanceof Object[] array) {
            for (Object o : array) split(String.valueOf(o), out);
        } else if (value instanceof Collection<?> c) {
            for (Object o : c) split(String.valueOf(o), out);
        } else if (value != null) {
            split(String.valueOf(value), out);
        }
        return out;
    }

    private static void split(String s, List<String> out) {
        for (String item : s.split(",")) {
            String t = item.trim();
            if (!t.isEmpty()) out.add(t);
        }
    }

    /** The one value of a scalar property given as a one-element list; a longer list is refused. */
    private static Object single(String name, Object v, String allowed) {
        List<Object> elements = v instanceof Object[] a ? new ArrayList<>(java.util.Arrays.asList(a)) : v instanceof Collection<?> c ? new ArrayList<>(c) : null;
        if (elements == null) return v;
        elements.removeIf(SettingsReader::isBlank);
        if (elements.isEmpty()) return null;
        if (elements.size() > 1) throw BadSetting.expected(name, v, allowed + " (one value, not a list)");
        return elements.get(0);
    }

    /** The whole number {@code v} is, or null when it is none. */
    private static Long wholeNumber(Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        try {
            BigDecimal d;
            if (v instanceof BigInteger b) d = new BigDecimal(b);
            else if (v instanceof BigDecimal b) d = b;
            else if (v instanceof Double || v instanceof Float) d = BigDecimal.valueOf(((Number) v).doubleValue());
            else if (v instanceof String s && s.trim().matches("[+-]?\\d+")) d = new BigDecimal(s.trim());
            else return null;
            return d.longValueExact(); // refuses a fraction and a value beyond a long
        } catch (ArithmeticException | NumberFormatException e) {
            return null;
        }
    }

    private static boolean isBlank(Object v) {
        if (v == null) return true;
        if (v instanceof String s) return s.isBlank();
        if (v instanceof Object[] a) return java.util.Arrays.stream(a).allMatch(SettingsReader::isBlank);
        if (v instanceof Collection<?> c) return c.stream().allMatch(SettingsReader::isBlank);
        return false;
    }
}
