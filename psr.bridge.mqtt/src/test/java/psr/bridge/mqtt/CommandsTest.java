package psr.bridge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static psr.bridge.mqtt.PlainBridgeTest.BASE;
import static psr.bridge.mqtt.PlainBridgeTest.commit;
import static psr.bridge.mqtt.Subscriber.await;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import psr.api.state.Operation;
import psr.api.state.Value;

/** Commands from MQTT: off by default; when on, only allowed keys, only at the primary; bad ones dropped, counted, logged once. */
class CommandsTest {

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void commandsAreIgnoredUnlessEnabled(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas().startBridges();
                    Subscriber s = new Subscriber(broker.uri(), "operator", BASE + "#")) {
                int p = c.awaitPrimary();
                commit(c.replicas[p], Operation.put("setpoint", Value.ofDouble(50)));
                await("published", () -> s.current().containsKey(BASE + "setpoint"));
                s.publish(BASE + "setpoint/set", "{\"value\":71.5,\"type\":\"double\"}", false);
                // A write after the command, through the same broker connection order, marks when it would have arrived.
                s.publish(BASE + "marker/set", "{\"value\":1,\"type\":\"int32\"}", false);
                commit(c.replicas[p], Operation.put("after", Value.ofBool(true)));
                await("the later write published", () -> s.current().containsKey(BASE + "after"));
                Thread.sleep(300); // a command that were acted on would commit within this; see the enabled test below
                assertEquals(50.0, c.replicas[p].readLocal("setpoint").get("setpoint").asDouble());
                assertNull(c.replicas[p].readLocal("").get("marker"));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"moquette", "mosquitto"})
    void allowedCommandsBecomeWritesAndBadOnesAreDroppedCountedAndLoggedOnce(String brokerName) throws Exception {
        try (TestBroker broker = TestBroker.named(brokerName)) {
            broker.start();
            try (TestCluster c = new TestCluster(broker.uri()).startReplicas();
                    Subscriber s = new Subscriber(broker.uri(), "operator", BASE + "#")) {
                Map<String, Object> on = Map.of("commands.enabled", true, "commands.allow", "setpoint,pump1/*", "commands.max.bytes", 200);
                for (int n = 1; n <= 3; n++) c.startBridge(n, on);
                int p = c.awaitPrimary();
                commit(c.replicas[p], Operation.put("setpoint", Value.ofDouble(50)));
                commit(c.replicas[p], Operation.put("secret", Value.ofInt32(7)));
                await("published", () -> s.current().containsKey(BASE + "secret"));

                s.publish(BASE + "setpoint/set", "{\"value\":71.5,\"type\":\"double\",\"ts\":1234}", false);
                s.publish(BASE + "pump1/speed/set", "{\"value\":3,\"type\":\"int32\"}", false);
                await("both commands committed", () -> c.replicas[p].readLocal("").containsKey("pump1/speed")
                        && c.replicas[p].readLocal("").get("setpoint").asDouble() == 71.5);
                assertEquals(1234, c.replicas[p].readLocal("setpoint").get("setpoint").timestamp());
                await("and published", () -> s.current().getOrDefault(BASE + "pump1/speed", "").contains("\"value\":3,"));

                String[][] bad = {
                        {"secret/set", "{\"value\":1,\"type\":\"int32\"}", "not-allowed"},
                        {"setpoint/set", "{\"value\":71.5", "unparseable"},
                        {"setpoint/set", "{\"value\":\"hot\",\"type\":\"string\"}", "wrong-type"},
                        {"setpoint/set", "{\"value\":\"hot\"}", "bad-value"},
                        {"pump1/speed/set", "{\"value\":1,\"type\":\"int32\",\"pad\":\"" + "x".repeat(300) + "\"}", "too-large"},
                };
                for (int round = 0; round < 2; round++) {
                    for (String[] b : bad) s.publish(BASE + b[0], b[1], false);
                }
                for (String[] b : bad) {
                    await(b[2] + " counted twice", () -> c.bridges[p].counters().get("commands.refused." + b[2]) == 2);
                }
                String log = c.logText();
                for (String[] b : bad) {
                    String key = b[0].substring(0, b[0].length() - "/set".length());
                    String line = "command for key '" + key + "' dropped (" + b[2] + ")";
                    assertEquals(1, log.split(java.util.regex.Pattern.quote(line), -1).length - 1, "logged once: " + line + "\n" + log);
                }
                for (int n = 1; n <= 3; n++) {
                    if (n != p) assertEquals(0, c.bridges[n].counters().get("commands.accepted"), "a backup's bridge does not act on commands");
                }
                assertEquals(2, c.bridges[p].counters().get("commands.accepted"));
                Map<String, Value> state = c.replicas[p].readLocal("");
                assertEquals(7, state.get("secret").asInt32(), "a refused command never reaches consensus");
                assertEquals(71.5, state.get("setpoint").asDouble());
                assertEquals(3, state.get("pump1/speed").asInt32());
                assertFalse(log.contains("ERROR"), log);
            }
        }
    }
}
