package psr.demo;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * A plain MQTT subscriber on the plant network, written only from the bridge's documented topics and payloads (not
 * with the demo's code): it records every message of part {@code tank} with its arrival time, and groups them into
 * committed operations (the messages that carry one op-number).
 */
final class TankSubscriber implements AutoCloseable {
    static final String PREFIX = "psr/demo/tank/";
    /** The cycle counter PSR commits with each cycle: key {@code $task/tank-control/cycle}, its {@code $} encoded. */
    static final String CYCLE = "%24task/tank-control/cycle";
    private static final Pattern VALUE = Pattern.compile("\"value\":(\"[^\"]*\"|[^,}]+)");
    private static final Pattern OP = Pattern.compile("\"op\":(\\d+)");
    private static final Pattern TS = Pattern.compile("\"ts\":(\\d+)");
    private static final Pattern NODE = Pattern.compile("\"node\":(\\d+)");

    /**
     * One message: when it arrived, the key (topic below the part), its value as JSON text, its op-number and its
     * source timestamp (the time of the cycle that wrote it: a republish keeps it, a second execution would not).
     */
    record Message(long nanos, String key, String value, long op, long ts) {}

    /** The messages of one op-number, in arrival order; {@code first} is when the first arrived. */
    record Operation(long op, long first, Map<String, String> values, Map<String, Long> stamps) {
        boolean has(String key) {
            return values.containsKey(key);
        }

        double number(String key) {
            return Double.parseDouble(values.get(key));
        }
    }

    private final MqttClient client;
    private final List<Message> messages = new ArrayList<>();
    private volatile int primary = -1;

    TankSubscriber(String broker) throws Exception {
        client = new MqttClient(broker, "tank-subscriber-" + System.nanoTime(), new MemoryPersistence());
        client.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                synchronized (messages) {
                    messages.add(new Message(System.nanoTime(), "$lost", cause.toString(), -1, 0));
                }
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                long now = System.nanoTime();
                String payload = new String(message.getPayload(), StandardCharsets.UTF_8);
                String key = topic.substring(PREFIX.length());
                if (key.equals("$primary")) {
                    Matcher n = NODE.matcher(payload);
                    if (n.find()) primary = Integer.parseInt(n.group(1));
                    return;
                }
                if (key.equals("$sync") || key.endsWith("/set") || key.equals("set") || payload.isEmpty()) return;
                Matcher v = VALUE.matcher(payload);
                Matcher o = OP.matcher(payload);
                Matcher t = TS.matcher(payload);
                if (!v.find() || !o.find() || !t.find()) throw new AssertionError("not a bridge payload on " + topic + ": " + payload);
                synchronized (messages) {
                    messages.add(new Message(now, key, v.group(1), Long.parseLong(o.group(1)), Long.parseLong(t.group(1))));
                }
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {}
        });
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        client.connect(options);
        client.subscribe(PREFIX + "#", 1);
    }

    /** The node that announced itself last on {@code $primary}; -1 before any. */
    int primary() {
        return primary;
    }

    List<Message> messages() {
        synchronized (messages) {
            return new ArrayList<>(messages);
        }
    }

    /** The latest cycle number seen, or -1. */
    long lastCycle() {
        List<Message> all = messages();
        for (int i = all.size() - 1; i >= 0; i--) if (all.get(i).key().equals(CYCLE)) return Long.parseLong(all.get(i).value());
        return -1;
    }

    /**
     * The messages grouped by op-number, in op order. Per topic the op-number must never go down (what the bridge
     * promises a subscriber). Across topics it may: after a republish of the state at op n the bridge sends queued
     * changes of op n+1, and a change still in its queue replaces that topic's older value there, so op n+1's values
     * for some topics can arrive before op n's for others. An operation's {@code first} is when its first message came.
     */
    static List<Operation> operations(List<Message> messages) {
        Map<String, Long> lastOp = new java.util.HashMap<>();
        java.util.TreeMap<Long, Operation> byOp = new java.util.TreeMap<>();
        for (Message m : messages) {
            if (m.op() < 0) throw new AssertionError("the subscriber lost the broker: " + m.value());
            Long before = lastOp.put(m.key(), m.op());
            if (before != null && m.op() < before) {
                throw new AssertionError("op-number went back on topic " + PREFIX + m.key() + ": " + before + " then " + m.op());
            }
            Operation op = byOp.computeIfAbsent(m.op(), n -> new Operation(n, m.nanos(), new LinkedHashMap<>(), new LinkedHashMap<>()));
            String seen = op.values().put(m.key(), m.value());
            Long stamp = op.stamps().put(m.key(), m.ts());
            if (seen != null && (!seen.equals(m.value()) || stamp != m.ts())) {
                throw new AssertionError("two different values of " + m.key() + " at op " + m.op() + ": " + seen + " and " + m.value());
            }
        }
        return new ArrayList<>(byOp.values());
    }

    @Override
    public void close() throws Exception {
        if (client.isConnected()) client.disconnect(1000);
        client.close(true);
    }
}
