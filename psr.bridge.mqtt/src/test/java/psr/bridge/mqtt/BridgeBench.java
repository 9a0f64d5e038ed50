package psr.bridge.mqtt;

import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import psr.api.state.Operation;
import psr.api.state.PartState;
import psr.api.state.Value;

/**
 * Prints figures, asserts nothing (a benchmark, not a test): commit-to-subscriber latency through a mosquitto
 * process on loopback at a paced change rate (p50/p99/max), and the highest rate one part sustains through the
 * bridge without coalescing. Three replicas in this JVM, the bridge on the primary, a plain Paho subscriber.
 *
 * <p>Run: {@code mvn -B -q -pl psr.bridge.mqtt -am test-compile dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt
 * -Dmdep.includeScope=test} then {@code java -cp psr.bridge.mqtt/target/test-classes:psr.bridge.mqtt/target/classes:$(cat /tmp/cp.txt)
 * psr.bridge.mqtt.BridgeBench [qos]}.
 */
public final class BridgeBench {
    public static void main(String[] args) throws Exception {
        int qos = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        // mosquitto drops QoS 1/2 messages for a subscriber with more than 1,000 queued: let the subscriber fall behind.
        try (TestBroker broker = new TestBroker.Mosquitto("max_queued_messages 1000000\n")) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas()) {
                int p = c.awaitPrimary();
                c.startBridge(p, Map.of("qos", qos));
                PartState part = c.replicas[p];
                Map<Long, Long> arrived = new ConcurrentHashMap<>();
                MqttClient sub = new MqttClient(broker.uri(), "bench-sub", new MemoryPersistence());
                sub.setCallback(new MqttCallback() {
                    @Override public void connectionLost(Throwable cause) {}
                    @Override public void messageArrived(String topic, MqttMessage m) {
                        long now = System.nanoTime();
                        String s = new String(m.getPayload());
                        int i = s.indexOf("\"value\":");
                        if (i >= 0) arrived.put(Long.parseLong(s.substring(i + 8, s.indexOf(',', i))), now);
                    }
                    @Override public void deliveryComplete(IMqttDeliveryToken token) {}
                });
                sub.connect();
                sub.subscribe(PlainBridgeTest.BASE + "bench/#", 0); // the subscriber's own acknowledgements are not measured
                System.out.println("BridgeBench: mosquitto on loopback, 3 replicas in one JVM, qos " + qos + ", 100 keys");
                run(c, p, part, arrived, 1000, 3, true);   // warm-up
                run(c, p, part, arrived, 1000, 10, false);
                for (int rate : new int[] {2000, 5000, 10000, 20000}) run(c, p, part, arrived, rate, 5, false);
                sub.disconnect();
                sub.close();
            }
        }
    }

    static final AtomicLong seq = new AtomicLong();

    static void run(TestCluster c, int p, PartState part, Map<Long, Long> arrived, int rate, int seconds, boolean warmUp) throws Exception {
        long coalescedBefore = (Long) c.bridges[p].partStatus().get(0).get("coalesced");
        int n = rate * seconds;
        long[] committed = new long[n];
        long[] ids = new long[n];
        CompletableFuture<?>[] all = new CompletableFuture<?>[n];
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long due = start + (long) i * 1_000_000_000L / rate;
            while (System.nanoTime() < due) Thread.onSpinWait();
            long id = seq.incrementAndGet();
            ids[i] = id;
            int at = i;
            all[i] = part.submit(Operation.put("bench/k" + id % 100, Value.ofInt64(id))).toCompletableFuture()
                    .thenRun(() -> committed[at] = System.nanoTime());
        }
        CompletableFuture.allOf(all).get(60, TimeUnit.SECONDS);
        double achieved = n / ((System.nanoTime() - start) / 1e9);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!arrived.containsKey(ids[n - 1]) && System.nanoTime() < end) Thread.sleep(5);
        long coalesced = (Long) c.bridges[p].partStatus().get(0).get("coalesced") - coalescedBefore;
        long[] lat = new long[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            Long a = arrived.get(ids[i]);
            if (a != null) lat[m++] = a - committed[i];
        }
        Arrays.sort(lat, 0, m);
        if (warmUp) return;
        System.out.printf("  offered %6d/s (achieved %7.0f/s commits) for %d s: delivered %d of %d, coalesced %d; commit-to-subscriber latency p50 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                rate, achieved, seconds, m, n, coalesced, lat[m / 2] / 1e6, lat[(int) Math.min(m - 1, Math.floor(m * 0.99))] / 1e6, lat[m - 1] / 1e6);
    }
}
