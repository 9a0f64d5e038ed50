package psr.bridge.mqtt;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Topic names of plain mode: {@code <prefix>/<part>/<key>} for values, {@code <prefix>/<part>/<key>/set} for
 * commands, {@code <prefix>/<part>/$primary} and {@code <prefix>/$nodes/<node>} for lifecycle.
 *
 * <p>A key becomes topic levels as it is (its {@code /} separate levels), except what MQTT forbids in a topic name
 * or what would be mistaken for a topic of the bridge: {@code %}, {@code +} and {@code #} anywhere, a leading
 * {@code $} (topics of the bridge start with {@code $}), and a last level {@code set} (a command topic) are
 * percent-encoded ({@code %25 %2B %23 %24}, {@code %73et}). So each key has one topic and each topic one key.
 */
final class Topics {
    static final String PRIMARY = "$primary";
    static final String NODES = "$nodes";
    static final String SET = "set";
    static final String SYNC = "$sync";

    private final String prefix;

    Topics(String prefix) {
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    String partFilter(String part) {
        return prefix + "/" + part + "/#";
    }

    String key(String part, String key) {
        return prefix + "/" + part + "/" + encodeKey(key);
    }

    String command(String part, String key) {
        return key(part, key) + "/" + SET;
    }

    String primary(String part) {
        return prefix + "/" + part + "/" + PRIMARY;
    }

    String sync(String part) {
        return prefix + "/" + part + "/" + SYNC;
    }

    String node(int node) {
        return prefix + "/" + NODES + "/" + node;
    }

    /** What a topic under {@code <prefix>/<part>/} names. */
    enum Kind { KEY, COMMAND, LIFECYCLE, OTHER }

    record Parsed(Kind kind, String key) {}

    /** Parses a topic of {@code part}; OTHER for a topic outside it or one that is not well formed. */
    Parsed parse(String part, String topic) {
        String base = prefix + "/" + part + "/";
        if (!topic.startsWith(base)) return new Parsed(Kind.OTHER, null);
        String rest = topic.substring(base.length());
        if (rest.startsWith("$")) return new Parsed(Kind.LIFECYCLE, null);
        boolean command = rest.equals(SET) || rest.endsWith("/" + SET);
        String encoded = command ? rest.substring(0, Math.max(0, rest.length() - SET.length() - 1)) : rest;
        String key = decodeKey(encoded);
        if (key == null || key.isEmpty()) return new Parsed(Kind.OTHER, null);
        return new Parsed(command ? Kind.COMMAND : Kind.KEY, key);
    }

    static String encodeKey(String key) {
        StringBuilder b = new StringBuilder(key.length() + 8);
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c == '%') b.append("%25");
            else if (c == '+') b.append("%2B");
            else if (c == '#') b.append("%23");
            else if (c == '$' && i == 0) b.append("%24");
            else b.append(c);
        }
        int last = b.lastIndexOf("/") + 1;
        if (b.substring(last).equals(SET)) b.replace(last, last + 1, "%73");
        return b.toString();
    }

    /** The key of an encoded topic suffix, or null when it is not one {@link #encodeKey} could have made. */
    static String decodeKey(String encoded) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(encoded.length());
        byte[] raw = encoded.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '%') {
                if (i + 2 >= raw.length) return null;
                int hi = Character.digit(raw[i + 1], 16), lo = Character.digit(raw[i + 2], 16);
                if (hi < 0 || lo < 0) return null;
                out.write(hi * 16 + lo);
                i += 2;
            } else {
                out.write(raw[i]);
            }
        }
        String key = out.toString(StandardCharsets.UTF_8);
        return encodeKey(key).equals(encoded) ? key : null;
    }

    /** Checks a configured prefix. */
    static String checkPrefix(String prefix) {
        if (prefix.isEmpty() || prefix.startsWith("/") || prefix.endsWith("/") || prefix.startsWith("$")) {
            throw new IllegalArgumentException("expected topic levels without a leading or trailing / and not starting with $");
        }
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (c == '+' || c == '#' || c == 0) throw new IllegalArgumentException("expected no + # or NUL (MQTT wildcards) in a topic prefix");
        }
        return prefix;
    }
}
