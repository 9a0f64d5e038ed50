package psr.bridge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static psr.bridge.mqtt.PlainBridgeTest.commit;
import static psr.bridge.mqtt.Subscriber.await;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.List;
import java.util.Map;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import psr.api.state.Operation;
import psr.api.state.Value;

/**
 * Sparkplug B mode against real brokers, read by a plain Paho client that decodes with Tahu's decoder (as a
 * Sparkplug host would): births from the primary only, data by exception, bdSeq increasing across a failover, the
 * dead primary's NDEATH Will carrying the older bdSeq, rebirth on command and when a key is added.
 */
class SparkplugTest {
    static final String NS = "spBv1.0/plant/";
    static final Map<String, Object> SPARKPLUG = Map.of("mode", "sparkplug", "sparkplug.devices", "pump1");

    /** A host's view: every Sparkplug message in order, decoded. */
    static final class Host implements AutoCloseable {
        record Msg(String topic, SparkplugBPayload payload) {
            Object metric(String name) {
                for (Metric m : payload.getMetrics()) if (m.getName().equals(name)) return m.getValue();
                return null;
            }

            long bdSeq() {
                return ((BigInteger) metric("bdSeq")).longValue();
            }
        }

        final List<Msg> seen = Collections.synchronizedList(new ArrayList<>());
        final MqttClient client;

        Host(String uri) throws Exception {
            client = new MqttClient(uri, "sparkplug-host", new MemoryPersistence());
            client.setCallback(new MqttCallback() {
                @Override public void connectionLost(Throwable cause) {}
                @Override public void messageArrived(String topic, MqttMessage m) throws Exception {
                    seen.add(new Msg(topic, new SparkplugBPayloadDecoder().buildFromByteArray(m.getPayload(), null)));
                }
                @Override public void deliveryComplete(IMqttDeliveryToken token) {}
            });
            client.connect();
            client.subscribe(NS + "#", 1);
        }

        /** With -Dpsr.test.log=true: the sequence as a host saw it (the README's captured sequences come from here). */
        void print(String title) {
            if (!Boolean.getBoolean("psr.test.log")) return;
            System.out.println("---- " + title);
            synchronized (seen) {
                for (Msg m : seen) {
                    System.out.println("  " + m.topic().substring(NS.length()) + " seq=" + m.payload().getSeq() + " "
                            + m.payload().getMetrics().stream().map(x -> x.getName() + "=" + x.getValue()).toList());
                }
            }
        }

        List<Msg> on(String topic) {
            synchronized (seen) {
                return seen.stream().filter(m -> m.topic().equals(topic)).toList();
            }
        }

        List<Msg> all() {
            synchronized (seen) {
                return new ArrayList<>(seen);
            }
        }

        void command(String topic, Metric... metrics) throws Exception {
            SparkplugBPayload p = new SparkplugBPayload.SparkplugBPayloadBuilder().setTimestamp(new Date()).addMetrics(List.of(metrics)).createPayload();
            client.publish(NS + topic, new SparkplugBPayloadEncoder().getBytes(p, false), 1, false);
        }

        /** Publishes the primary host's STATE, as Sparkplug 3.0 has it (retained JSON). */
        void state(boolean online, long timestamp) throws Exception {
            client.publish("spBv1.0/STATE/scada", ("{\"online\":" + online + ",\"timestamp\":" + timestamp + "}").getBytes(), 1, true);
        }

        void rebirth() throws Exception {
            Metric m = new Metric.MetricBuilder(SparkplugEdge.REBIRTH, MetricDataType.Boolean, true).createMetric();
            SparkplugBPayload p = new SparkplugBPayload.SparkplugBPayloadBuilder().setTimestamp(new Date()).addMetric(m).createPayload();
            client.publish(NS + "NCMD/boiler", new SparkplugBPayloadEncoder().getBytes(p, false), 1, false);
        }

        @Override
        public void close() throws Exception {
            if (client.isConnected()) client.disconnect();
            client.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void thePrimaryIsBornWithEveryMetricThenSendsDataByException(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas(); Host host = new Host(broker.uri())) {
                int p = c.awaitPrimary();
                commit(c.replicas[p], Operation.put("mode", Value.ofString("auto", 1000)));
                commit(c.replicas[p], Operation.put("pump1/speed", Value.ofDouble(1.5, 2000)));
                for (int n = 1; n <= 3; n++) c.startBridge(n, SPARKPLUG);
                await("NBIRTH and DBIRTH", () -> !host.on(NS + "DBIRTH/boiler/pump1").isEmpty());
                host.print("births");
                Host.Msg nbirth = host.on(NS + "NBIRTH/boiler").get(0);
                assertEquals(0L, nbirth.payload().getSeq());
                assertEquals(0L, nbirth.bdSeq());
                assertEquals(false, nbirth.metric(SparkplugEdge.REBIRTH));
                assertEquals("auto", nbirth.metric("mode"));
                Host.Msg dbirth = host.on(NS + "DBIRTH/boiler/pump1").get(0);
                assertEquals(1L, dbirth.payload().getSeq());
                assertEquals(1.5, dbirth.metric("speed"));
                assertEquals(2000L, dbirth.payload().getMetrics().get(0).getTimestamp().getTime(), "the source timestamp is the metric's");

                commit(c.replicas[p], Operation.batch(Operation.put("mode", Value.ofString("manual")), Operation.put("pump1/speed", Value.ofDouble(2.5))));
                await("NDATA and DDATA", () -> !host.on(NS + "DDATA/boiler/pump1").isEmpty() && !host.on(NS + "NDATA/boiler").isEmpty());
                assertEquals("manual", host.on(NS + "NDATA/boiler").get(0).metric("mode"));
                assertEquals(2.5, host.on(NS + "DDATA/boiler/pump1").get(0).metric("speed"));
                assertEquals(1, host.on(NS + "NBIRTH/boiler").size(), "one edge node, born once, by the primary only");
                List<Long> seqs = host.seen.stream().map(m -> m.payload().getSeq()).toList();
                assertEquals(List.of(0L, 1L, 2L, 3L), seqs, "seq counts every message after the NBIRTH");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void afterAFailoverTheNewPrimaryIsBornWithTheNextBdSeqAndTheWillCarriesTheOldOne(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas(); Host host = new Host(broker.uri())) {
                int first = c.awaitPrimary();
                for (int n = 1; n <= 3; n++) c.startBridge(n, SPARKPLUG);
                commit(c.replicas[first], Operation.put("level", Value.ofInt32(7)));
                await("born with level", () -> host.on(NS + "NBIRTH/boiler").stream().anyMatch(m -> Integer.valueOf(7).equals(m.metric("level"))));
                long bd = host.on(NS + "NBIRTH/boiler").get(0).bdSeq();

                c.crash(first);
                int second = c.awaitPrimary();
                await("the Will and a new birth", () -> !host.on(NS + "NDEATH/boiler").isEmpty()
                        && host.on(NS + "NBIRTH/boiler").stream().anyMatch(m -> m.bdSeq() > bd));
                assertEquals(bd, host.on(NS + "NDEATH/boiler").get(0).bdSeq(), "the dead primary's Will names its own session");
                Host.Msg reborn = host.on(NS + "NBIRTH/boiler").stream().filter(m -> m.bdSeq() > bd).findFirst().get();
                assertEquals(bd + 1, reborn.bdSeq());
                assertEquals(7, reborn.metric("level"), "the new primary is born with the committed state");
                host.print("crash failover, " + brokerName);
                assertEquals(Value.ofInt64(bd + 1).asInt64(), c.replicas[second].readLocal(SparkplugEdge.BD_SEQ_KEY).get(SparkplugEdge.BD_SEQ_KEY).asInt64(),
                        "bdSeq is committed state");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void aPlannedTransferIsACleanNDeathThenTheSuccessorsNBirthWithTheNextBdSeq(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas(); Host host = new Host(broker.uri())) {
                int first = c.awaitPrimary();
                for (int n = 1; n <= 3; n++) c.startBridge(n, SPARKPLUG);
                commit(c.replicas[first], Operation.put("pump1/speed", Value.ofDouble(3)));
                await("born", () -> !host.on(NS + "DBIRTH/boiler/pump1").isEmpty());
                long bd = host.on(NS + "NBIRTH/boiler").get(0).bdSeq();
                int successor = first == 3 ? 1 : first + 1;
                c.replicas[first].transferPrimary(successor).toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
                await("the successor born", () -> host.on(NS + "NBIRTH/boiler").stream().anyMatch(m -> m.bdSeq() == bd + 1));
                commit(c.replicas[successor], Operation.put("pump1/speed", Value.ofDouble(4)));
                await("data from the successor", () -> host.on(NS + "DDATA/boiler/pump1").stream().anyMatch(m -> Double.valueOf(4).equals(m.metric("speed"))));
                host.print("planned transfer, " + brokerName);
                List<String> order = host.all().stream().map(m -> m.topic().substring(NS.length()).split("/")[0]).toList();
                // The old primary's clean NDEATH and the successor's NBIRTH come from two controllers: usually in this
                // order, but a host must (and can, by bdSeq) cope with either, so only the rest of the order is asserted.
                assertEquals(List.of("NBIRTH", "DBIRTH", "NBIRTH", "DBIRTH", "DDATA"), order.stream().filter(t -> !t.equals("NDEATH")).toList(), order.toString());
                assertEquals(1, host.on(NS + "NDEATH/boiler").size(), "the old primary says NDEATH itself, once: " + order);
                assertEquals(bd, host.on(NS + "NDEATH/boiler").get(0).bdSeq(), "with its own session's bdSeq, older than the successor's");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void allowedNcmdAndDcmdMetricsBecomeWritesAndOthersAreRefused(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas(); Host host = new Host(broker.uri())) {
                int p = c.awaitPrimary();
                commit(c.replicas[p], Operation.put("pump1/speed", Value.ofDouble(1)));
                commit(c.replicas[p], Operation.put("mode", Value.ofString("auto")));
                Map<String, Object> on = new java.util.HashMap<>(SPARKPLUG);
                on.put("commands.enabled", true);
                on.put("commands.allow", "pump1/*,setpoint");
                for (int n = 1; n <= 3; n++) c.startBridge(n, on);
                await("born", () -> !host.on(NS + "DBIRTH/boiler/pump1").isEmpty());
                host.command("DCMD/boiler/pump1", new Metric.MetricBuilder("speed", MetricDataType.Double, 5.5).timestamp(new Date(4242)).createMetric());
                host.command("NCMD/boiler", new Metric.MetricBuilder("setpoint", MetricDataType.Float, 71.5f).createMetric());
                await("both written", () -> c.replicas[p].readLocal("").containsKey("setpoint")
                        && c.replicas[p].readLocal("").get("pump1/speed").asDouble() == 5.5);
                assertEquals(4242, c.replicas[p].readLocal("pump1/speed").get("pump1/speed").timestamp(), "the metric's timestamp is the value's");
                // setpoint is a new key, so the edge node is reborn; speed=5.5 goes out as DDATA or, when both commits
                // are published together, in the DBIRTH of that rebirth.
                await("and published", () -> java.util.stream.Stream.concat(host.on(NS + "DDATA/boiler/pump1").stream(), host.on(NS + "DBIRTH/boiler/pump1").stream())
                        .anyMatch(m -> Double.valueOf(5.5).equals(m.metric("speed"))));

                host.command("NCMD/boiler", new Metric.MetricBuilder("mode", MetricDataType.String, "manual").createMetric());
                host.command("DCMD/boiler/pump1", new Metric.MetricBuilder("speed", MetricDataType.Int32, 9).createMetric());
                await("refused and counted", () -> c.bridges[p].counters().get("commands.refused.not-allowed") == 1
                        && c.bridges[p].counters().get("commands.refused.wrong-type") == 1);
                assertEquals("auto", c.replicas[p].readLocal("mode").get("mode").asString());
                assertEquals(5.5, c.replicas[p].readLocal("pump1/speed").get("pump1/speed").asDouble());
                assertTrue(c.logText().contains("command for key 'mode' dropped (not-allowed)"), c.logText());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void withAPrimaryHostTheEdgeNodeIsBornOnlyWhileTheHostIsOnline(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas(); Host host = new Host(broker.uri())) {
                int p = c.awaitPrimary();
                Map<String, Object> withHost = new java.util.HashMap<>(SPARKPLUG);
                withHost.put("sparkplug.primary.host.id", "scada");
                for (int n = 1; n <= 3; n++) c.startBridge(n, withHost);
                commit(c.replicas[p], Operation.put("level", Value.ofInt32(1)));
                await("the session is up", () -> c.bridges[p].counters().get("connects") == 1);
                commit(c.replicas[p], Operation.put("level", Value.ofInt32(2))); // nothing may go out before the host is online
                host.state(true, 1000);
                await("born once the host is online", () -> !host.on(NS + "NBIRTH/boiler").isEmpty());
                assertEquals(2, host.on(NS + "NBIRTH/boiler").get(0).metric("level"));
                assertEquals(1, host.all().stream().filter(m -> !m.topic().contains("STATE")).count(), "nothing before the NBIRTH: " + host.all());
                host.state(false, 500); // older than the online STATE: ignored
                host.state(false, 2000);
                await("NDEATH when the host goes offline", () -> host.on(NS + "NDEATH/boiler").size() == 1);
                long bd = host.on(NS + "NBIRTH/boiler").get(0).bdSeq();
                assertEquals(bd, host.on(NS + "NDEATH/boiler").get(0).bdSeq());
                host.state(true, 3000);
                await("born again in a new session", () -> host.on(NS + "NBIRTH/boiler").size() == 2);
                assertEquals(bd + 1, host.on(NS + "NBIRTH/boiler").get(1).bdSeq());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void afterABrokerRestartTheEdgeNodeIsBornAgainWithinTwoSecondsWithOneMoreBdSeq(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas()) {
                int p = c.awaitPrimary();
                for (int n = 1; n <= 3; n++) c.startBridge(n, SPARKPLUG);
                await("the first session", () -> c.bridges[p].counters().get("births") == 1);
                long bd = c.replicas[p].readLocal(SparkplugEdge.BD_SEQ_KEY).get(SparkplugEdge.BD_SEQ_KEY).asInt64();
                broker.stop();
                commit(c.replicas[p], Operation.put("level", Value.ofInt32(3)));
                Thread.sleep(1500); // several connect attempts fail meanwhile
                long started = System.nanoTime();
                broker.start();
                try (Host host = new Host(broker.uri())) {
                    host.rebirth(); // a host that connects late asks for the birth it may have missed (as hosts do)
                    await("born again with the latest value", 2000 - (System.nanoTime() - started) / 1_000_000,
                            () -> host.on(NS + "NBIRTH/boiler").stream().anyMatch(m -> Integer.valueOf(3).equals(m.metric("level"))));
                    assertEquals(bd + 1, host.on(NS + "NBIRTH/boiler").get(0).bdSeq(),
                            "one more bdSeq for the new session, not one per failed attempt");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void theRebirthCommandAndANewKeyBringANewBirth(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas(); Host host = new Host(broker.uri())) {
                int p = c.awaitPrimary();
                for (int n = 1; n <= 3; n++) c.startBridge(n, SPARKPLUG);
                await("born", () -> host.on(NS + "NBIRTH/boiler").size() == 1);
                host.rebirth();
                await("reborn on command", () -> host.on(NS + "NBIRTH/boiler").size() == 2);
                assertEquals(0L, host.on(NS + "NBIRTH/boiler").get(1).payload().getSeq());
                commit(c.replicas[p], Operation.put("pump1/new", Value.ofBool(true)));
                await("reborn with the new metric", () -> !host.on(NS + "DBIRTH/boiler/pump1").isEmpty());
                assertEquals(true, host.on(NS + "DBIRTH/boiler/pump1").get(0).metric("new"));
                assertTrue(host.on(NS + "NBIRTH/boiler").size() == 3, "a new key is a new metric: a new birth");
            }
        }
    }
}
