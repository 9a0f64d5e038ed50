package psr.demo;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallbackExtended;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

/**
 * The demo's MQTT subscriber: it watches {@code psr/demo/#} as any client on the plant network would (the topics of
 * {@code psr.bridge.mqtt}'s README) and feeds {@link PlantView}. It only reads; it never talks to a controller.
 */
final class MqttWatch implements AutoCloseable {
    private final MqttClient client;
    private final PlantView view;
    private final String prefix;

    MqttWatch(String brokerUri, String prefix, PlantView view) throws MqttException {
        this.view = view;
        this.prefix = prefix + "/";
        this.client = new MqttClient(brokerUri, "psr-demo-watch-" + ProcessHandle.current().pid(), new MemoryPersistence());
        client.setCallback(new MqttCallbackExtended() {
            @Override
            public void connectComplete(boolean reconnect, String serverURI) {
                view.subscriberConnected(true);
                if (reconnect) subscribe();
            }

            @Override
            public void connectionLost(Throwable cause) {
                view.subscriberConnected(false);
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                handle(topic, new String(message.getPayload(), StandardCharsets.UTF_8), System.currentTimeMillis());
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {}
        });
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setAutomaticReconnect(true);
        options.setMaxReconnectDelay(2000);
        options.setConnectionTimeout(5);
        client.connect(options);
        subscribe();
    }

    private void subscribe() {
        try {
            client.subscribe(prefix + "#", 1);
        } catch (MqttException e) {
            view.event("MQTT subscribe to " + prefix + "# failed: " + e.getMessage());
        }
    }

    /** One message: a node's status, a part's {@code $primary}, or one key's committed value (empty: deleted). */
    void handle(String topic, String payload, long now) {
        if (!topic.startsWith(prefix)) return;
        String rest = topic.substring(prefix.length());
        int slash = rest.indexOf('/');
        if (slash < 0) return;
        String first = rest.substring(0, slash);
        String tail = rest.substring(slash + 1);
        try {
            if (first.equals("$nodes")) {
                view.nodeOnline(Integer.parseInt(tail), payload);
            } else if (tail.equals("$primary")) {
                if (payload.isEmpty()) return;
                Map<String, String> p = FlatJson.parse(payload);
                view.primary(first, new PlantView.Reading(p.get("node"), "int32", -1, Long.parseLong(p.get("view")), 0),
                        Integer.parseInt(p.get("node")), now);
            } else if (tail.equals("$sync") || tail.equals("set") || tail.endsWith("/set")) {
                // a republish's marker, or a command for the bridge: not state
            } else if (payload.isEmpty()) {
                view.value(first, decodeKey(tail), null, now);
            } else {
                Map<String, String> p = FlatJson.parse(payload);
                view.value(first, decodeKey(tail), new PlantView.Reading(p.get("value"), p.get("type"), Long.parseLong(p.get("op")),
                        Long.parseLong(p.get("view")), p.containsKey("ts") ? Long.parseLong(p.get("ts")) : 0), now);
            }
        } catch (RuntimeException e) {
            view.event("MQTT: cannot read " + topic + " '" + payload + "': " + e.getMessage());
        }
    }

    /** The key a topic's levels stand for: the bridge percent-encodes {@code % + # $} and a last level {@code set}. */
    static String decodeKey(String levels) {
        StringBuilder b = new StringBuilder(levels.length());
        for (int i = 0; i < levels.length(); i++) {
            char c = levels.charAt(i);
            if (c == '%' && i + 2 < levels.length()) {
                b.append((char) Integer.parseInt(levels.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    @Override
    public void close() {
        try {
            if (client.isConnected()) client.disconnect(1000);
            client.close(true);
        } catch (MqttException e) {
            // closing anyway
        }
    }
}
