package psr.settings;

import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * The defaults of a component's configuration, read from its metatype annotation (the {@code @interface Config} whose
 * {@code @AttributeDefinition}s bnd turns into the metatype XML and the component description). A parser that takes its
 * defaults from here cannot disagree with what Metatype shows and what DS fills in: there is no second copy.
 *
 * <p>Property names follow the DS rules for annotation methods (Declarative Services 1.4, 112.8.2.2): {@code _} becomes
 * {@code .}, {@code __} becomes {@code _}, {@code $_$} becomes {@code -}, {@code $$} becomes {@code $}, another
 * {@code $} is dropped; so {@code heartbeat_ms()} is {@code heartbeat.ms} and {@code _password()} is {@code .password}.
 */
public final class Defaults {
    private final Map<String, Object> values;
    private final Map<String, Class<?>> types;

    private Defaults(Map<String, Object> values, Map<String, Class<?>> types) {
        this.values = values;
        this.types = types;
    }

    /** No defaults: every property without a value is missing. */
    public static Defaults none() {
        return new Defaults(Map.of(), Map.of());
    }

    public static Defaults of(Class<? extends Annotation> config) {
        Map<String, Object> values = new TreeMap<>();
        Map<String, Class<?>> types = new TreeMap<>();
        for (Method m : config.getDeclaredMethods()) {
            if (m.isSynthetic() || m.getParameterCount() != 0) continue;
            String property = propertyName(m.getName());
            types.put(property, m.getReturnType());
            Object value = m.getDefaultValue();
            if (value != null) values.put(property, value);
        }
        return new Defaults(Collections.unmodifiableMap(values), Collections.unmodifiableMap(types));
    }

    /** The default of {@code property}, as the annotation gives it (Integer, Long, Boolean, String, String[]), or null. */
    public Object get(String property) {
        Object v = values.get(property);
        return v instanceof String[] a ? a.clone() : v;
    }

    /** Every property the annotation declares, with or without a default, by name. */
    public java.util.Set<String> properties() {
        return types.keySet();
    }

    /** The Java type the annotation declares for {@code property}, or null when it declares none. */
    public Class<?> type(String property) {
        return types.get(property);
    }

    /** The property name DS derives from an annotation method's name. */
    public static String propertyName(String method) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < method.length(); i++) {
            char c = method.charAt(i);
            if (c == '$') {
                if (method.startsWith("$_$", i)) {
                    b.append('-');
                    i += 2;
                } else if (method.startsWith("$$", i)) {
                    b.append('$');
                    i += 1;
                }
                // a single $ is dropped
            } else if (c == '_') {
                if (method.startsWith("__", i)) {
                    b.append('_');
                    i += 1;
                } else {
                    b.append('.');
                }
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
