package psr.bridge.mqtt;

import java.math.BigInteger;
import java.util.Date;

import org.eclipse.tahu.SparkplugInvalidTypeException;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;

import psr.api.state.Value;

/** PSR values as Sparkplug B metrics (Tahu): bool Boolean, int32 Int32, int64 Int64, float Float, double Double, string String, bytes Bytes; the source timestamp is the metric's. */
final class SparkplugMetrics {
    private SparkplugMetrics() {}

    static MetricDataType type(Value v) {
        return switch (v.type()) {
            case BOOL -> MetricDataType.Boolean;
            case INT32 -> MetricDataType.Int32;
            case INT64 -> MetricDataType.Int64;
            case FLOAT -> MetricDataType.Float;
            case DOUBLE -> MetricDataType.Double;
            case STRING -> MetricDataType.String;
            case BYTES -> MetricDataType.Bytes;
        };
    }

    static Metric metric(String name, Value v) {
        Object value = switch (v.type()) {
            case BOOL -> v.asBool();
            case INT32 -> v.asInt32();
            case INT64 -> v.asInt64();
            case FLOAT -> v.asFloat();
            case DOUBLE -> v.asDouble();
            case STRING -> v.asString();
            case BYTES -> v.asBytes();
        };
        return build(name, type(v), value, v.timestamp() == 0 ? null : new Date(v.timestamp()));
    }

    /**
     * The value a command metric asks for: of the key's type when it has one (a command may not change a key's type),
     * with the metric's timestamp, or {@code nowMs} when it has none.
     */
    static Value value(Metric m, Value current, long nowMs) throws Payloads.Refused {
        long ts = m.getTimestamp() == null ? nowMs : m.getTimestamp().getTime();
        Object v = m.getValue();
        if (v == null || Boolean.TRUE.equals(m.getIsNull())) throw new Payloads.Refused("bad-value", "metric " + m.getName() + " has no value");
        Value out;
        try {
            MetricDataType t = m.getDataType();
            if (t == MetricDataType.Boolean) out = Value.ofBool((Boolean) v, ts);
            else if (t == MetricDataType.Int8 || t == MetricDataType.Int16 || t == MetricDataType.Int32 || t == MetricDataType.UInt8 || t == MetricDataType.UInt16) {
                out = Value.ofInt32(((Number) v).intValue(), ts);
            } else if (t == MetricDataType.Int64 || t == MetricDataType.UInt32) out = Value.ofInt64(((Number) v).longValue(), ts);
            else if (t == MetricDataType.Float) out = Value.ofFloat((Float) v, ts);
            else if (t == MetricDataType.Double) out = Value.ofDouble((Double) v, ts);
            else if (t == MetricDataType.String || t == MetricDataType.Text) out = Value.ofString((String) v, ts);
            else if (t == MetricDataType.Bytes) out = Value.ofBytes((byte[]) v, ts);
            else throw new Payloads.Refused("wrong-type", "metric " + m.getName() + " of Sparkplug type " + t
                    + "; expected Boolean, Int8-32, UInt8-32, Int64, Float, Double, String, Text or Bytes");
        } catch (ClassCastException | IllegalArgumentException e) {
            throw new Payloads.Refused("bad-value", "metric " + m.getName() + ": " + e.getMessage());
        }
        if (current != null && current.type() != out.type()) {
            throw new Payloads.Refused("wrong-type", "metric " + m.getName() + " is " + m.getDataType() + " but the key holds a " + Payloads.typeName(current.type()));
        }
        return out;
    }

    static Metric longMetric(String name, long value) {
        return build(name, MetricDataType.UInt64, BigInteger.valueOf(value), new Date());
    }

    static Metric boolMetric(String name, boolean value) {
        return build(name, MetricDataType.Boolean, value, new Date());
    }

    private static Metric build(String name, MetricDataType type, Object value, Date timestamp) {
        try {
            Metric.MetricBuilder b = new Metric.MetricBuilder(name, type, value);
            if (timestamp != null) b.timestamp(timestamp);
            return b.createMetric();
        } catch (SparkplugInvalidTypeException e) {
            throw new IllegalArgumentException("metric " + name + " of type " + type + ": " + e.getMessage(), e);
        }
    }
}
