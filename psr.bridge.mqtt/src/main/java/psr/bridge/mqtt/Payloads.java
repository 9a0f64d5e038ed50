package psr.bridge.mqtt;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;

import psr.api.state.Value;
import psr.api.state.ValueType;

/**
 * The JSON payloads of plain mode. A value: {@code {"value":…,"type":"double","ts":…,"op":…,"view":…}} where
 * bool is true/false, the integer and floating types are JSON numbers (NaN and the infinities, which JSON has no
 * number for, as the strings "NaN", "Infinity", "-Infinity"), string a JSON string and bytes a base64 string. A
 * command carries the same {@code value} and {@code type} (and optionally {@code ts}).
 */
final class Payloads {
    private Payloads() {}

    static final byte[] EMPTY = new byte[0];

    static String typeName(ValueType t) {
        return t.name().toLowerCase(Locale.ROOT);
    }

    static byte[] value(Value v, long op, long view) {
        StringBuilder b = new StringBuilder(64);
        b.append("{\"value\":");
        appendValue(b, v);
        b.append(",\"type\":\"").append(typeName(v.type())).append("\",\"ts\":").append(v.timestamp())
                .append(",\"op\":").append(op).append(",\"view\":").append(view).append('}');
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] primary(int node, long view) {
        return ("{\"node\":" + node + ",\"view\":" + view + "}").getBytes(StandardCharsets.UTF_8);
    }

    private static void appendValue(StringBuilder b, Value v) {
        switch (v.type()) {
            case BOOL -> b.append(v.asBool());
            case INT32 -> b.append(v.asInt32());
            case INT64 -> b.append(v.asInt64());
            case FLOAT -> appendFloating(b, v.asFloat(), Float.toString(v.asFloat()));
            case DOUBLE -> appendFloating(b, v.asDouble(), Double.toString(v.asDouble()));
            case STRING -> Json.quote(b, v.asString());
            case BYTES -> b.append('"').append(Base64.getEncoder().encodeToString(v.asBytes())).append('"');
        }
    }

    private static void appendFloating(StringBuilder b, double d, String text) {
        if (Double.isNaN(d) || Double.isInfinite(d)) b.append('"').append(text).append('"'); else b.append(text);
    }

    /** Why a command is refused: a short reason (counted and logged once per key) and what was wrong. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;
        final String reason;

        Refused(String reason, String detail) {
            super(detail, null, false, false);
            this.reason = reason;
        }
    }

    /**
     * The value a command asks for.
     *
     * @param current the key's committed value, or null; a command may not change a key's type
     * @param nowMs   the timestamp to use when the command carries none
     */
    static Value command(byte[] payload, Value current, long nowMs) throws Refused {
        Map<String, Object> m;
        try {
            m = Json.parseFlatObject(new String(payload, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new Refused("unparseable", e.getMessage() + "; expected {\"value\":…, \"type\":\"…\"}");
        }
        for (String name : m.keySet()) {
            if (!name.equals("value") && !name.equals("type") && !name.equals("ts")) {
                throw new Refused("unparseable", "unknown member \"" + name + "\"; expected value, type and optionally ts");
            }
        }
        if (!m.containsKey("value") || m.get("value") == null) throw new Refused("unparseable", "no \"value\"");
        ValueType type;
        Object t = m.get("type");
        if (t == null) {
            if (current == null) throw new Refused("wrong-type", "no \"type\" and the key has no value yet to take it from");
            type = current.type();
        } else {
            type = parseType(t);
            if (current != null && current.type() != type) {
                throw new Refused("wrong-type", "type " + typeName(type) + " but the key holds a " + typeName(current.type()));
            }
        }
        long ts = nowMs;
        if (m.containsKey("ts")) {
            if (!(m.get("ts") instanceof Json.Number n) || !n.text().matches("-?[0-9]+")) throw new Refused("bad-value", "\"ts\" must be an integer (epoch ms)");
            try {
                ts = Long.parseLong(n.text());
            } catch (NumberFormatException e) {
                throw new Refused("bad-value", "\"ts\" " + n.text() + " is out of range");
            }
        }
        return parseValue(type, m.get("value"), ts);
    }

    private static ValueType parseType(Object t) throws Refused {
        if (t instanceof String s) {
            for (ValueType v : ValueType.values()) if (typeName(v).equals(s)) return v;
        }
        throw new Refused("wrong-type", "\"type\" " + t + " is not one of bool, int32, int64, float, double, string, bytes");
    }

    private static Value parseValue(ValueType type, Object v, long ts) throws Refused {
        try {
            return switch (type) {
                case BOOL -> {
                    if (!(v instanceof Boolean b)) throw new Refused("bad-value", "a bool value must be true or false, not " + v);
                    yield Value.ofBool(b, ts);
                }
                case INT32 -> Value.ofInt32(Integer.parseInt(integerText(v, type)), ts);
                case INT64 -> Value.ofInt64(Long.parseLong(integerText(v, type)), ts);
                case FLOAT -> Value.ofFloat(Float.parseFloat(floatingText(v, type)), ts);
                case DOUBLE -> Value.ofDouble(Double.parseDouble(floatingText(v, type)), ts);
                case STRING -> {
                    if (!(v instanceof String s)) throw new Refused("bad-value", "a string value must be a JSON string");
                    yield Value.ofString(s, ts);
                }
                case BYTES -> {
                    if (!(v instanceof String s)) throw new Refused("bad-value", "a bytes value must be a base64 string");
                    yield Value.ofBytes(Base64.getDecoder().decode(s), ts);
                }
            };
        } catch (NumberFormatException e) {
            throw new Refused("bad-value", v + " is out of range for " + typeName(type));
        } catch (IllegalArgumentException e) {
            throw new Refused("bad-value", e.getMessage());
        }
    }

    private static String integerText(Object v, ValueType type) throws Refused {
        if (v instanceof Json.Number n && n.text().matches("-?[0-9]+")) return n.text();
        throw new Refused("bad-value", "a " + typeName(type) + " value must be an integer number, not " + describe(v));
    }

    private static String floatingText(Object v, ValueType type) throws Refused {
        if (v instanceof Json.Number n) return n.text();
        if (v instanceof String s && (s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity"))) return s;
        throw new Refused("bad-value", "a " + typeName(type) + " value must be a number (or \"NaN\", \"Infinity\", \"-Infinity\"), not " + describe(v));
    }

    private static String describe(Object v) {
        return v instanceof Json.Number n ? n.text() : v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
    }
}
