package psr.bridge.mqtt;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.MqttMessage;

/**
 * The keys of one part that the broker retains a value for, as a subscription to the part's topics returns them,
 * complete once the marker the bridge sent after subscribing comes back (brokers send the retained messages of a
 * subscription before anything published after it: mosquitto and Moquette do).
 */
final class RetainedScan {
    private final String part;
    private final Topics topics;
    private final String nonce;
    private final Set<String> keys = new TreeSet<>();
    private final CountDownLatch done = new CountDownLatch(1);

    RetainedScan(String part, Topics topics, String nonce) {
        this.part = part;
        this.topics = topics;
        this.nonce = nonce;
    }

    String part() {
        return part;
    }

    /** MQTT callback thread. */
    void offer(String topic, MqttMessage m) {
        if (topic.equals(topics.sync(part))) {
            if (nonce.equals(new String(m.getPayload(), StandardCharsets.US_ASCII))) done.countDown();
            return;
        }
        // Not m.isRetained(): Moquette 0.17 clears the flag on retained messages it sends for a new subscription. A live
        // message of another publisher that arrives meanwhile counts too; clearing a key the part does not have is right.
        if (m.getPayload().length == 0) return;
        Topics.Parsed parsed = topics.parse(part, topic);
        if (parsed.kind() == Topics.Kind.KEY) {
            synchronized (keys) {
                keys.add(parsed.key());
            }
        }
    }

    boolean await(long ms) {
        try {
            return done.await(ms, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    Set<String> keys() {
        synchronized (keys) {
            return new TreeSet<>(keys);
        }
    }
}
