package psr.settings;

import java.util.Collection;

/**
 * A configuration value that is not allowed. The message is the whole story, in the operator's terms: the property as
 * written in the configuration file, its value as given, and what is allowed, e.g.
 * {@code property heartbeat.ms = 'fast' is not allowed: expected an integer from 10 to 60000}.
 */
public class BadSetting extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** The property as the user writes it. */
    public final String property;

    /**
     * @param value   the value as it should be shown (callers replace secrets before they get here)
     * @param problem what is wrong, usually {@code "expected ..."}
     */
    public BadSetting(String property, Object value, String problem) {
        super("property " + property + " = " + show(value) + " is not allowed: " + problem);
        this.property = property;
    }

    /** The same refusal under a component's own type (a component whose callers catch that type). */
    protected BadSetting(BadSetting refusal) {
        super(refusal.getMessage(), refusal);
        this.property = refusal.property;
    }

    /** {@code property P = V is not allowed: expected ALLOWED}. */
    public static BadSetting expected(String property, Object value, String allowed) {
        return new BadSetting(property, value, "expected " + allowed);
    }

    /** A value as messages show it: quoted, a list joined by commas as it is written, {@code (missing)} for none. */
    public static String show(Object value) {
        if (value == null) return "(missing)";
        if (value instanceof Object[] array) {
            StringBuilder b = new StringBuilder();
            for (Object o : array) b.append(b.length() == 0 ? "" : ",").append(o);
            return "'" + b + "'";
        }
        if (value instanceof Collection<?> c) {
            return "'" + String.join(",", c.stream().map(String::valueOf).toList()) + "'";
        }
        return "'" + value + "'";
    }
}
