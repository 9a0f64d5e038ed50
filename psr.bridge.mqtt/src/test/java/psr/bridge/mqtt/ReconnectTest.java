package psr.bridge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static psr.bridge.mqtt.Subscriber.await;

import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import psr.api.state.Operation;
import psr.api.state.Value;

/** The bridge's own connection supervision: broker URIs in turn, exponential back-off with jitter. */
class ReconnectTest {

    @Test
    void theBackOffDoublesUpToItsMostWithJitterAndStartsOverAfterASuccess() {
        Backoff b = new Backoff(100, 1000, new Random(7));
        long[] upper = {100, 200, 400, 800, 1000, 1000, 1000};
        for (long u : upper) {
            long d = b.nextDelayMs();
            assertTrue(d >= u / 2 && d <= u, d + " should be in [" + u / 2 + ", " + u + "]");
        }
        b.reset();
        assertTrue(b.nextDelayMs() <= 100);
    }

    @Test
    void theRepublishRateIsHeld() {
        RateLimit r = new RateLimit(100, 0);
        int taken = 0;
        while (r.tryTake(0)) taken++;
        assertEquals(100, taken, "a burst of one second's worth");
        assertEquals(10_000_000, r.nanosUntilToken(0));
        assertTrue(r.tryTake(10_000_000));
    }

    @Test
    void aDeadFirstBrokerIsPassedOverForTheNextOne() throws Exception {
        try (TestBroker broker = TestBroker.named("moquette")) {
            broker.start();
            String dead = "tcp://127.0.0.1:" + TestBroker.freePort();
            try (TestCluster c = new TestCluster(dead).startReplicas();
                    Subscriber s = new Subscriber(broker.uri(), "scada-r", PlainBridgeTest.BASE + "#")) {
                int p = c.awaitPrimary();
                c.startBridge(p, Map.of("broker.uris", dead + "," + broker.uri()));
                PlainBridgeTest.commit(c.replicas[p], Operation.put("level", Value.ofInt32(5)));
                await("published through the second broker", () -> s.current().containsKey(PlainBridgeTest.BASE + "level"));
                assertTrue(c.bridges[p].counters().get("connect.failures") >= 1);
                assertEquals(broker.uri(), c.bridges[p].status().get("uri"));
            }
        }
    }
}
