package psr.bridge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static psr.bridge.mqtt.PlainBridgeTest.BASE;
import static psr.bridge.mqtt.Subscriber.await;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import psr.api.state.Operation;
import psr.api.state.OperationResult;
import psr.api.state.Value;

/**
 * A broker that stops answering (the connection stays up) while the part commits fast: the bridge's queue holds at
 * most one message per key (the rest coalesced, counted), and once the broker answers again the latest values arrive,
 * each key's op-numbers never going back.
 */
class SlowBrokerTest {

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void aStalledBrokerCoalescesPerKeyAndTheLatestValuesArriveAfterIt(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (StallingProxy proxy = new StallingProxy(broker.port);
                    TestCluster c = new TestCluster(proxy.uri()).startReplicas();
                    Subscriber s = new Subscriber(broker.uri(), "scada-slow", BASE + "#")) {
                int p = c.awaitPrimary();
                // Longer than the stall: a publish waiting for its acknowledgement must not count as a lost connection here.
                c.startBridge(p, Map.of("publish.timeout.ms", 20_000, "keepalive.s", 60, "inflight.max", 10));
                for (int i = 0; i < 10; i++) PlainBridgeTest.commit(c.replicas[p], Operation.put("k" + i, Value.ofInt32(0)));
                await("published", () -> s.current().size() >= 11);

                proxy.stall(true);
                List<CompletableFuture<OperationResult>> writes = new ArrayList<>();
                int maxQueued = 0;
                for (int round = 1; round <= 300; round++) {
                    for (int i = 0; i < 10; i++) writes.add(c.replicas[p].submit(Operation.put("k" + i, Value.ofInt32(round))).toCompletableFuture());
                    if (round % 30 == 0) {
                        for (CompletableFuture<OperationResult> w : writes) w.get(10, TimeUnit.SECONDS);
                        writes.clear();
                        maxQueued = Math.max(maxQueued, (Integer) c.bridges[p].partStatus().get(0).get("queued"));
                    }
                }
                assertTrue(maxQueued <= 10, "at most one waiting message per key, was " + maxQueued);
                long coalesced = (Long) c.bridges[p].partStatus().get(0).get("coalesced");
                assertTrue(coalesced >= 2900, "3,000 changes to 10 keys through a stalled broker coalesce: " + coalesced);

                proxy.stall(false);
                await("the latest values", () -> {
                    Map<String, String> now = s.current();
                    for (int i = 0; i < 10; i++) if (!now.getOrDefault(BASE + "k" + i, "").contains("\"value\":300,")) return false;
                    return true;
                });
                PlainBridgeTest.assertNoRegression(s);
                assertEquals(0, c.bridges[p].counters().get("connection.losses"), c.logText());
            }
        }
    }
}
