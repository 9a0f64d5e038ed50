package psr.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** The demo's pieces without processes: options, payloads, topics, status lines, the trend's cycle grouping. */
class DemoPartsTest {
    @Test
    void optionsAreCheckedWithMessagesThatSayWhatIsRight() throws Exception {
        DemoOptions o = DemoOptions.parse(List.of("--dir", "plant", "--web-port", "0", "--headless"), Path.of("/tmp/x"));
        assertEquals(Path.of("/tmp/x/plant"), o.dir);
        assertEquals(0, o.webPort);
        assertTrue(o.headless);
        assertNull(o.broker);
        assertNull(DemoOptions.parse(List.of("--help"), Path.of("/")));
        assertEquals("--broker 'localhost:1883' is not a broker address: expected tcp://host:port, e.g. tcp://127.0.0.1:1883",
                assertThrows(DemoOptions.UsageException.class, () -> DemoOptions.parse(List.of("--broker", "localhost:1883"), Path.of("/"))).getMessage());
        assertEquals("--web-port '80000' is not a port: expected 0 to 65535 (0 = any free port)",
                assertThrows(DemoOptions.UsageException.class, () -> DemoOptions.parse(List.of("--web-port", "80000"), Path.of("/"))).getMessage());
        assertEquals("unknown option '--brokers' (--help lists the options)",
                assertThrows(DemoOptions.UsageException.class, () -> DemoOptions.parse(List.of("--brokers"), Path.of("/"))).getMessage());
        assertTrue(assertThrows(DemoOptions.UsageException.class,
                () -> DemoOptions.parse(List.of("--broker", "tcp://b:1883", "--mqtt-port", "1"), Path.of("/"))).getMessage().contains("with --broker there is none"));
    }

    @Test
    void bridgePayloadsAreReadAndBadOnesRefused() {
        Map<String, String> p = FlatJson.parse("{\"value\":\"a \\\"b\\\"\\u0041\",\"type\":\"string\",\"ts\":17,\"op\":42,\"view\":3}");
        assertEquals("a \"b\"A", p.get("value"));
        assertEquals("42", p.get("op"));
        assertEquals("1.5", FlatJson.parse("{ \"value\" : 1.5 }").get("value"));
        assertThrows(IllegalArgumentException.class, () -> FlatJson.parse("{\"value\":[1,2]}"));
        assertThrows(IllegalArgumentException.class, () -> FlatJson.parse("{\"value\":1"));
        assertEquals("\"\\u003c/script\\u003e\"", FlatJson.quote("</script>"));
        assertEquals("null", FlatJson.number(Double.NaN));
    }

    @Test
    void topicLevelsDecodeToKeys() {
        assertEquals("$task/tank-control/cycle", MqttWatch.decodeKey("%24task/tank-control/cycle"));
        assertEquals("a/set", MqttWatch.decodeKey("a/%73et"));
        assertEquals("50%+#", MqttWatch.decodeKey("50%25%2B%23"));
    }

    @Test
    void statusLinesOfAControllerAreParsedPeersNotConnectedIncluded() {
        String answer = "part=alarms node=2 role=PRIMARY view=3 primary=2 qc=true op=10 commit=10 lag=0 dropped=0 peers=1:not connected,3:connected refusal=\"\"\n"
                + "part=tank node=2 role=VIEW_CHANGE view=4 primary=-1 qc=false op=7 commit=6 lag=1 dropped=2 peers=1:not connected,3:not connected refusal=\"no quorum\"\n"
                + "part=recipe role=NOT_RUNNING state=FAILED reason=\"x\"\n";
        Map<String, PlantView.ReplicaLine> lines = StatusPoller.parse(answer);
        assertEquals(2, lines.size());
        assertEquals(new PlantView.ReplicaLine("PRIMARY", 3, 2, true, 10, "1:not connected,3:connected", ""), lines.get("alarms"));
        assertEquals(-1, lines.get("tank").primary());
        assertEquals("no quorum", lines.get("tank").refusal());
    }

    @Test
    void aTrendSampleIsOneCommittedCycleWhateverOrderItsValuesCameIn() {
        PlantView view = new PlantView();
        publishCycle(view, 5, 7, 0.25, 1000);
        publishCycle(view, 6, 8, 0.30, 1100);
        view.value("tank", "setpoint", new PlantView.Reading("1.8", "double", 7, 0, 1150), 1150); // an op without a cycle
        publishCycle(view, 8, 9, 0.35, 1200); // the op after it closes cycle 9's group only when op 9 ends
        List<PlantView.Sample> samples = view.trendSince(0);
        assertEquals(2, samples.size(), samples.toString());
        assertEquals(new PlantView.Sample(1000, 7, 0.25, 0.5, true, 1.5), samples.get(0));
        assertEquals(8, samples.get(1).cycle());
        view.value("tank", "level", new PlantView.Reading("0.4", "double", 9, 0, 1300), 1300);
        assertEquals(new PlantView.Sample(1200, 9, 0.35, 0.5, true, 1.8), view.trendSince(1100).get(0));
    }

    private static void publishCycle(PlantView view, long op, long cycle, double level, long ts) {
        view.value("tank", PlantView.CYCLE_KEY, new PlantView.Reading(String.valueOf(cycle), "int64", op, 0, 0), ts);
        view.value("tank", "valve", new PlantView.Reading("0.5", "double", op, 0, ts), ts);
        view.value("tank", "pump", new PlantView.Reading("true", "bool", op, 0, ts), ts);
        view.value("tank", "level", new PlantView.Reading(String.valueOf(level), "double", op, 0, ts), ts);
    }

    @Test
    void commitRatesComeFromRoundsAndAFailoverIsMarked() {
        PlantView view = new PlantView();
        view.replicas(1, Map.of("tank", new PlantView.ReplicaLine("PRIMARY", 0, 1, true, 100, "2:connected", "")));
        view.replicas(2, Map.of("tank", new PlantView.ReplicaLine("BACKUP", 0, 1, true, 99, "1:connected", "")));
        view.roundDone(10_000);
        view.replicas(1, Map.of("tank", new PlantView.ReplicaLine("PRIMARY", 0, 1, true, 110, "2:connected", "")));
        view.replicas(2, Map.of("tank", new PlantView.ReplicaLine("BACKUP", 0, 1, true, 111, "1:connected", "")));
        view.roundDone(11_000);
        PlantView.PartSummary tank = view.parts().get(0);
        assertEquals(11.0, tank.commitsPerSecond(), 1e-9);
        assertEquals(1, tank.primary());
        view.primary("tank", new PlantView.Reading("1", "int32", -1, 0, 0), 1, 1);
        view.primary("tank", new PlantView.Reading("3", "int32", -1, 2, 0), 3, 2);
        assertEquals(List.of(new PlantView.Marker(2, "tank: primary node 1 -> node 3 (view 2)", "tank -> 3", true)), view.markers());
        List<String> lines = StatusScreen.statusLines(view);
        assertTrue(lines.get(2).matches("  tank +node 1 +0 +11\\.0 .*"), lines.get(2));
    }
}
