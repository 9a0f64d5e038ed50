package psr.demo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The little JSON the demo needs: reading the bridge's flat payloads ({@code {"value":1.5,"type":"double","ts":…,
 * "op":…,"view":…}}, {@code {"node":2,"view":3}}) and quoting strings for the web page's state. Values are kept as
 * text: strings unescaped, numbers, booleans and null as written. Anything else (nested objects, arrays) is refused
 * with an {@link IllegalArgumentException} naming the position.
 */
final class FlatJson {
    private final String text;
    private int pos;

    private FlatJson(String text) {
        this.text = text;
    }

    static Map<String, String> parse(String text) {
        FlatJson p = new FlatJson(text);
        Map<String, String> out = new LinkedHashMap<>();
        p.skipSpace();
        p.expect('{');
        p.skipSpace();
        if (p.peek() == '}') return out;
        while (true) {
            p.skipSpace();
            String key = p.string();
            p.skipSpace();
            p.expect(':');
            p.skipSpace();
            out.put(key, p.peek() == '"' ? p.string() : p.bare());
            p.skipSpace();
            if (p.peek() == ',') {
                p.pos++;
                continue;
            }
            p.expect('}');
            return out;
        }
    }

    private char peek() {
        if (pos >= text.length()) throw new IllegalArgumentException("JSON ends early at " + pos);
        return text.charAt(pos);
    }

    private void expect(char c) {
        if (peek() != c) throw new IllegalArgumentException("expected '" + c + "' at " + pos + " of " + text);
        pos++;
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) pos++;
    }

    private String bare() {
        int start = pos;
        while (pos < text.length() && ",}] \t\r\n".indexOf(text.charAt(pos)) < 0) pos++;
        String v = text.substring(start, pos);
        if (v.isEmpty() || v.startsWith("{") || v.startsWith("[")) throw new IllegalArgumentException("not a flat value at " + start + " of " + text);
        return v;
    }

    private String string() {
        expect('"');
        StringBuilder b = new StringBuilder();
        while (true) {
            char c = peek();
            pos++;
            if (c == '"') return b.toString();
            if (c != '\\') {
                b.append(c);
                continue;
            }
            char e = peek();
            pos++;
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'u' -> {
                    if (pos + 4 > text.length()) throw new IllegalArgumentException("bad \\u escape at " + pos);
                    b.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                    pos += 4;
                }
                default -> b.append(e);
            }
        }
    }

    /** {@code s} as a JSON string literal. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == '<' || c == '>' || c == '&') b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        return b.append('"').toString();
    }

    /** A number for JSON: NaN and the infinities (not JSON) as null. */
    static String number(double d) {
        return Double.isFinite(d) ? Double.toString(d) : "null";
    }
}
