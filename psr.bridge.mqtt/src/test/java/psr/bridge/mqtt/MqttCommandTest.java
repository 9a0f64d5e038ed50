package psr.bridge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static psr.bridge.mqtt.Subscriber.await;

import java.util.Map;

import org.junit.jupiter.api.Test;

import psr.api.state.Operation;
import psr.api.state.Value;

/** {@code psr:mqtt}: people get a block, scripts ({@code -1}) one name=value line per bridge and per part; no secret. */
class MqttCommandTest {

    @Test
    void showsConnectionCountersAndPartsAndNeverThePassword() throws Exception {
        try (TestBroker broker = TestBroker.named("moquette")) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas()) {
                int p = c.awaitPrimary();
                BridgeRuntime b = c.startBridge(p, Map.of("username", "scada", BridgeSettings.PASSWORD, "hunter2"));
                PlainBridgeTest.commit(c.replicas[p], Operation.put("level", Value.ofInt32(1)));
                await("published", () -> b.counters().get("published") >= 2);

                StringBuilder lines = new StringBuilder();
                MqttCommand.render(lines, b, true);
                String[] rows = lines.toString().split("\n");
                assertEquals(2, rows.length, lines.toString());
                assertTrue(rows[0].startsWith("bridge=psr-plant-" + p + " state=connected uri=" + broker.uri() + " "), rows[0]);
                assertTrue(rows[0].matches(".* published=\\d+ .*") && rows[0].contains(" connects=1 "), rows[0]);
                assertTrue(rows[1].matches("bridge=psr-plant-" + p + " part=boiler serving=true view=\\d+ op=\\d+ keys=1 queued=\\d+ coalesced=0 overflows=0"), rows[1]);

                StringBuilder people = new StringBuilder();
                MqttCommand.render(people, b, false);
                assertTrue(people.toString().startsWith("MQTT bridge psr-plant-" + p + ": connected, broker " + broker.uri() + "\n"), people.toString());
                assertTrue(people.toString().contains("part boiler") && people.toString().contains("publishing"), people.toString());
                assertFalse((lines + people.toString() + c.logText()).contains("hunter2"));
                assertEquals("usage: psr:mqtt [-1]", new MqttCommand().mqtt("-x"));
            }
        }
    }
}
