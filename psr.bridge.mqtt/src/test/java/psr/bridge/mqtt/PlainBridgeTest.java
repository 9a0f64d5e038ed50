package psr.bridge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static psr.bridge.mqtt.Subscriber.await;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import psr.api.state.Operation;
import psr.api.state.OperationResult;
import psr.api.state.PartState;
import psr.api.state.Value;

/**
 * The plain-mode bridge end to end: three real replicas of one part, a bridge on each node, a real broker (Moquette
 * embedded, and a mosquitto process), and a plain Paho subscriber that reads topics and JSON as any SCADA client would.
 */
class PlainBridgeTest {
    static final String BASE = "psr/plant/" + TestCluster.PART + "/";

    static OperationResult commit(PartState at, Operation op) throws Exception {
        return at.submit(op).toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    /** A field of a JSON payload, read with a pattern (not with the bridge's own parser). */
    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\"[^\"]*\"|[^,}]+)").matcher(json);
        return m.find() ? m.group(1) : null;
    }

    static long op(String json) {
        return Long.parseLong(field(json, "op"));
    }

    /** Every topic's messages carry op-numbers that never go down, and every value message is well formed. */
    static void assertNoRegression(Subscriber s) {
        Map<String, Long> last = new HashMap<>();
        for (Subscriber.Received r : s.all()) {
            if (!r.topic().startsWith(BASE) || r.topic().contains("/$") || r.payload().isEmpty()) continue;
            long op = op(r.payload());
            Long before = last.put(r.topic(), op);
            assertTrue(before == null || op >= before, r.topic() + ": op " + op + " after op " + before + " (a step back)");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void onlyThePrimaryPublishesCommittedValuesWithTypeTimestampOpAndView(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas().startBridges();
                    Subscriber s = new Subscriber(broker.uri(), "scada-1", "psr/plant/#")) {
                int p = c.awaitPrimary();
                OperationResult last = null;
                for (int i = 0; i < 20; i++) last = commit(c.replicas[1 + i % 3], Operation.put("pump1/speed", Value.ofDouble(i, 1000 + i)));
                commit(c.replicas[p], Operation.put("mode", Value.ofString("auto \"night\"")));
                commit(c.replicas[p], Operation.put("count", Value.ofInt64(1L << 60)));
                commit(c.replicas[p], Operation.put("flags", Value.ofBytes(new byte[] {1, 2, (byte) 255})));
                commit(c.replicas[p], Operation.put("trip", Value.ofBool(true)));
                OperationResult fin = last;
                await("the last speed", () -> s.current().getOrDefault(BASE + "pump1/speed", "").contains("\"value\":19.0"));
                String speed = s.current().get(BASE + "pump1/speed");
                assertEquals("\"double\"", field(speed, "type"));
                assertEquals("1019", field(speed, "ts"));
                assertTrue(op(speed) >= fin.opNumber(), "the state as of op " + op(speed) + " (the write's or a republish's): " + speed);
                assertEquals(String.valueOf(fin.view()), field(speed, "view"));
                await("the other keys", () -> s.current().containsKey(BASE + "trip"));
                Map<String, String> now = s.current();
                assertTrue(now.get(BASE + "mode").startsWith("{\"value\":\"auto \\\"night\\\"\",\"type\":\"string\""), now.get(BASE + "mode"));
                assertEquals(String.valueOf(1L << 60), field(now.get(BASE + "count"), "value"));
                assertEquals("\"AQL/\"", field(now.get(BASE + "flags"), "value"));
                assertEquals("true", field(now.get(BASE + "trip"), "value"));
                assertEquals("{\"node\":" + p + ",\"view\":" + fin.view() + "}", now.get(BASE + "$primary"));
                for (int n = 1; n <= 3; n++) assertEquals("online", now.get("psr/plant/$nodes/" + n), "node " + n + " status");
                for (int n = 1; n <= 3; n++) {
                    if (n != p) assertEquals(0, c.bridges[n].counters().get("published"), "node " + n + " is a backup and publishes nothing");
                }
                List<Subscriber.Received> speeds = s.on(BASE + "pump1/speed");
                assertTrue(speeds.size() <= 20, "each committed change at most once: " + speeds.size());
                assertNoRegression(s);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void afterTheCrashOfThePrimaryTheNewOnePublishesWithoutGapOrStepBack(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas().startBridges();
                    Subscriber s = new Subscriber(broker.uri(), "scada-2", "psr/plant/#")) {
                int first = c.awaitPrimary();
                for (int i = 0; i < 10; i++) commit(c.replicas[first], Operation.put("k" + i, Value.ofInt32(1)));
                commit(c.replicas[first], Operation.put("doomed", Value.ofInt32(1)));
                await("the first values", () -> s.current().containsKey(BASE + "doomed") && s.current().containsKey(BASE + "k9"));
                long firstView = c.replicas[first].status().view();

                c.crash(first);
                // Writes go on during the failover: each is committed somewhere or fails, and only committed ones may show.
                int second = c.awaitPrimary();
                assertNotEquals(first, second);
                for (int i = 0; i < 10; i++) commit(c.replicas[second], Operation.put("k" + i, Value.ofInt32(2)));
                commit(c.replicas[second], Operation.delete("doomed"));
                Map<String, Value> committed = c.replicas[second].readLocal("");

                await("the new values and the delete", () -> {
                    Map<String, String> now = s.current();
                    return !now.containsKey(BASE + "doomed") && now.getOrDefault(BASE + "k9", "").contains("\"value\":2,");
                });
                await("the Will of the crashed node", () -> "offline".equals(s.current().get("psr/plant/$nodes/" + first)));
                Map<String, String> now = s.current();
                String primary = now.get(BASE + "$primary");
                assertEquals(String.valueOf(second), field(primary, "node"));
                assertTrue(Long.parseLong(field(primary, "view")) > firstView, primary);
                assertNoRegression(s);

                // A SCADA client that connects only now sees exactly the committed state, retained.
                try (Subscriber late = new Subscriber(broker.uri(), "scada-late", BASE + "#")) {
                    await("the retained state", () -> late.current().keySet().stream().filter(t -> !t.contains("$")).count() == committed.size());
                    for (Map.Entry<String, Value> e : committed.entrySet()) {
                        assertEquals(String.valueOf(e.getValue().asInt32()), field(late.current().get(BASE + e.getKey()), "value"), e.getKey());
                    }
                    assertNull(late.current().get(BASE + "doomed"));
                    if (!brokerName.equals("moquette")) { // Moquette 0.17 clears the retain flag of what a subscription returns
                        assertTrue(late.all().stream().allMatch(Subscriber.Received::retained));
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void aKeyDeletedWhileNoBridgeRanIsClearedWhenOneStarts(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas().startBridges();
                    Subscriber s = new Subscriber(broker.uri(), "scada-3", BASE + "#")) {
                int p = c.awaitPrimary();
                commit(c.replicas[p], Operation.put("stale/one", Value.ofInt32(1)));
                commit(c.replicas[p], Operation.put("$odd+key#", Value.ofInt32(1)));
                commit(c.replicas[p], Operation.put("kept", Value.ofInt32(1)));
                await("published", () -> s.current().size() >= 4);
                for (int n = 1; n <= 3; n++) c.bridges[n].stop();
                commit(c.replicas[p], Operation.delete("stale/one"));
                commit(c.replicas[p], Operation.delete("$odd+key#"));
                commit(c.replicas[p], Operation.put("kept", Value.ofInt32(2)));
                c.startBridges();
                await("the deleted keys cleared, the kept one updated", () -> {
                    Map<String, String> now = s.current();
                    return !now.containsKey(BASE + "stale/one") && !now.containsKey(BASE + "%24odd%2Bkey%23")
                            && now.getOrDefault(BASE + "kept", "").contains("\"value\":2,");
                });
                assertEquals(2, c.bridges[p].counters().get("cleared"), c.logText());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void writesOnAPrimaryThatLostItsQuorumNeverAppear(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas().startBridges();
                    Subscriber s = new Subscriber(broker.uri(), "scada-4", BASE + "#")) {
                int old = c.awaitPrimary();
                commit(c.replicas[old], Operation.put("level", Value.ofInt32(1)));
                await("level 1", () -> s.current().getOrDefault(BASE + "level", "").contains("\"value\":1,"));

                c.network.cut(old, true); // its bridge still reaches the broker; its replica reaches no one
                List<CompletableFuture<OperationResult>> ghosts = new ArrayList<>();
                ghosts.add(c.replicas[old].submit(Operation.put("level", Value.ofInt32(666))).toCompletableFuture());
                ghosts.add(c.replicas[old].submit(Operation.put("ghost", Value.ofInt32(666))).toCompletableFuture());
                await("a new primary among the others", () -> {
                    int p = c.primary();
                    return p > 0 && p != old;
                });
                int now = -1;
                for (int n = 1; n <= 3; n++) if (n != old && c.replicas[n].status().role() == psr.api.state.Role.PRIMARY) now = n;
                commit(c.replicas[now], Operation.put("level", Value.ofInt32(2)));
                for (CompletableFuture<OperationResult> g : ghosts) {
                    assertTrue(g.handle((r, e) -> e != null).get(10, TimeUnit.SECONDS), "a write on the cut-off primary did not commit");
                }
                c.network.cut(old, false);
                commit(c.replicas[now], Operation.put("level", Value.ofInt32(3)));
                await("level 3", () -> s.current().getOrDefault(BASE + "level", "").contains("\"value\":3,"));
                for (Subscriber.Received r : s.all()) {
                    assertFalse(r.payload().contains("666") || r.topic().endsWith("/ghost"), "uncommitted write published: " + r);
                }
                assertNoRegression(s);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void afterABrokerRestartTheStateIsBackWithin2sAndMemoryStayedBounded(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas().startBridges()) {
                int p = c.awaitPrimary();
                for (int i = 0; i < 10; i++) commit(c.replicas[p], Operation.put("k" + i, Value.ofInt32(0)));
                try (Subscriber s = new Subscriber(broker.uri(), "scada-5", BASE + "#")) {
                    await("published", () -> s.current().size() >= 11);
                }
                broker.stop(); // loses every retained message
                List<CompletableFuture<OperationResult>> writes = new ArrayList<>();
                for (int round = 1; round <= 200; round++) {
                    for (int i = 0; i < 10; i++) writes.add(c.replicas[p].submit(Operation.put("k" + i, Value.ofInt32(round))).toCompletableFuture());
                    if (round % 50 == 0) {
                        for (CompletableFuture<OperationResult> w : writes) w.get(10, TimeUnit.SECONDS);
                        writes.clear();
                        int queued = (Integer) c.bridges[p].partStatus().get(0).get("queued");
                        assertEquals(0, queued, "nothing piles up for a broker that is not there");
                    }
                }
                long started = System.nanoTime();
                broker.start();
                try (Subscriber s = new Subscriber(broker.uri(), "scada-6", BASE + "#")) {
                    await("every key at its latest value", 2000 - (System.nanoTime() - started) / 1_000_000, () -> {
                        Map<String, String> now = s.current();
                        for (int i = 0; i < 10; i++) if (!now.getOrDefault(BASE + "k" + i, "").contains("\"value\":200,")) return false;
                        return now.containsKey(BASE + "$primary");
                    });
                }
                assertTrue(c.bridges[p].counters().get("connects") >= 2);
            }
        }
    }
}
