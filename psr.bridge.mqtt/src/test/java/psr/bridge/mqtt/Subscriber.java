package psr.bridge.mqtt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * A plain Paho client, as a SCADA system would be: subscribes to a filter and records every message in the order it
 * came, and what each topic holds now (the last payload; an empty one clears it). It knows nothing of the bridge.
 */
final class Subscriber implements AutoCloseable {
    record Received(String topic, String payload, boolean retained) {}

    final List<Received> received = Collections.synchronizedList(new ArrayList<>());
    private final MqttClient client;
    private final String filter;
    private final String uri;

    Subscriber(String uri, String clientId, String filter) throws MqttException {
        this.uri = uri;
        this.filter = filter;
        client = new MqttClient(uri, clientId, new MemoryPersistence());
        client.setCallback(new MqttCallback() {
            @Override public void connectionLost(Throwable cause) {}
            @Override public void messageArrived(String topic, MqttMessage m) {
                received.add(new Received(topic, new String(m.getPayload(), StandardCharsets.UTF_8), m.isRetained()));
            }
            @Override public void deliveryComplete(IMqttDeliveryToken token) {}
        });
        connect();
    }

    /** Connects (again, after a broker restart) and subscribes. */
    void connect() throws MqttException {
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setConnectionTimeout(5);
        client.connect(o);
        client.subscribe(filter, 1);
    }

    boolean reconnect() {
        try {
            if (!client.isConnected()) connect();
            return true;
        } catch (MqttException e) {
            return false;
        }
    }

    void publish(String topic, String payload, boolean retained) throws MqttException {
        client.publish(topic, payload.getBytes(StandardCharsets.UTF_8), 1, retained);
    }

    /** What each topic holds now, as the messages seen so far say. */
    Map<String, String> current() {
        Map<String, String> out = new TreeMap<>();
        synchronized (received) {
            for (Received r : received) {
                if (r.payload().isEmpty()) out.remove(r.topic()); else out.put(r.topic(), r.payload());
            }
        }
        return out;
    }

    List<Received> on(String topic) {
        synchronized (received) {
            return received.stream().filter(r -> r.topic().equals(topic)).toList();
        }
    }

    List<Received> all() {
        synchronized (received) {
            return new ArrayList<>(received);
        }
    }

    @Override
    public void close() {
        try {
            if (client.isConnected()) client.disconnect(500);
            client.close(true);
        } catch (MqttException e) {
            // the broker may be gone already
        }
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        await(what, 15_000, condition);
    }

    static void await(String what, long ms, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + ms * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("not within " + ms + " ms: " + what);
            Thread.sleep(5);
        }
    }

    String uri() {
        return uri;
    }
}
