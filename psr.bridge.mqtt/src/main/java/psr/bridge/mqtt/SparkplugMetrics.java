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
