package psr.bridge.mqtt;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The little JSON the bridge needs: writing string literals, and reading one flat object whose members are
 * strings, numbers, true, false or null (what a command carries). Anything else is refused with the position
 * and what was expected.
 */
final class Json {
    private Json() {}

    /** A JSON number kept as its text, so an int64 is not rounded through a double. */
    record Number(String text) {}

    static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) out.append(String.format("\\u%04x", (int) c)); else out.append(c);
                }
            }
        }
        out.append('"');
    }

    /** Reads a flat object: member names to String, {@link Number}, Boolean or null. */
    static Map<String, Object> parseFlatObject(String text) {
        Reader r = new Reader(text);
        Map<String, Object> out = r.object();
        r.skipSpace();
        if (r.pos != text.length()) throw r.error("the end of the text");
        return out;
    }

    private static final class Reader {
        final String s;
        int pos;

        Reader(String s) {
            this.s = s;
        }

        IllegalArgumentException error(String expected) {
            return new IllegalArgumentException("JSON at character " + pos + ": expected " + expected);
        }

        void skipSpace() {
            while (pos < s.length() && " \t\r\n".indexOf(s.charAt(pos)) >= 0) pos++;
        }

        void expect(char c) {
            skipSpace();
            if (pos >= s.length() || s.charAt(pos) != c) throw error("'" + c + "'");
            pos++;
        }

        Map<String, Object> object() {
            Map<String, Object> out = new LinkedHashMap<>();
            expect('{');
            skipSpace();
            if (pos < s.length() && s.charAt(pos) == '}') {
                pos++;
                return out;
            }
            while (true) {
                skipSpace();
                String name = string();
                expect(':');
                if (out.put(name, value()) != null || out.size() > 16) throw error("each member once, at most 16");
                skipSpace();
                if (pos < s.length() && s.charAt(pos) == ',') {
                    pos++;
                    continue;
                }
                expect('}');
                return out;
            }
        }

        Object value() {
            skipSpace();
            if (pos >= s.length()) throw error("a value");
            char c = s.charAt(pos);
            if (c == '"') return string();
            if (s.startsWith("true", pos)) { pos += 4; return Boolean.TRUE; }
            if (s.startsWith("false", pos)) { pos += 5; return Boolean.FALSE; }
            if (s.startsWith("null", pos)) { pos += 4; return null; }
            if (c == '-' || c >= '0' && c <= '9') {
                int start = pos;
                pos++;
                while (pos < s.length() && "0123456789.eE+-".indexOf(s.charAt(pos)) >= 0) pos++;
                String n = s.substring(start, pos);
                if (!n.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
                    pos = start;
                    throw error("a number");
                }
                return new Number(n);
            }
            throw error("a string, number, true, false or null (no nested objects or arrays)");
        }

        String string() {
            if (pos >= s.length() || s.charAt(pos) != '"') throw error("a string");
            pos++;
            StringBuilder b = new StringBuilder();
            while (true) {
                if (pos >= s.length()) throw error("the closing '\"' of a string");
                char c = s.charAt(pos++);
                if (c == '"') return b.toString();
                if (c < 0x20) throw error("no control character inside a string");
                if (c != '\\') {
                    b.append(c);
                    continue;
                }
                if (pos >= s.length()) throw error("an escape");
                char e = s.charAt(pos++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'n' -> b.append('\n');
                    case 'r' -> b.append('\r');
                    case 't' -> b.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) throw error("four hex digits");
                        try {
                            b.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException x) {
                            throw error("four hex digits");
                        }
                        pos += 4;
                    }
                    default -> throw error("an escape of \" \\ / b f n r t u");
                }
            }
        }
    }
}
