package psr.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A demo on a broker of the user's ({@code --broker}): the bridges publish there. Then kill -9 of the demo itself
 * leaves no controller behind: they stop by themselves ({@code --stop-with}), cleanly.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DemoKilledIT {
    @TempDir
    Path temp;

    @Test
    void onAGivenBrokerTheControllersStopWhenTheDemoIsKilled() throws Exception {
        try (EmbeddedBroker broker = new EmbeddedBroker(0, false, temp.resolve("broker.log"));
                DemoProcess demo = new DemoProcess(temp.resolve("plant"), "--broker", broker.uri().toString());
                TankSubscriber subscriber = new TankSubscriber(broker.uri().toString())) {
            assertEquals(broker.uri().toString(), demo.await("MQTT +(tcp://\\S+) \\(given with --broker\\)"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!(demo.status(1, "tank") != null && demo.status(2, "tank") != null && demo.status(3, "tank") != null)) {
                assertTrue(System.nanoTime() < deadline, "the controllers did not come up:\n" + demo.output());
                Thread.sleep(200);
            }
            while (subscriber.lastCycle() < 10) {
                assertTrue(System.nanoTime() < deadline, "no tank cycles on the given broker:\n" + demo.output());
                Thread.sleep(100);
            }
            // The generated configuration is readable by its owner only: keys, transport, parts, bridge.
            for (int n = 1; n <= 3; n++) {
                Path node = temp.resolve("plant/node" + n);
                for (Path f : List.of(node.resolve("transport.keys"), node.resolve("deploy/psr.transport.udp.cfg"),
                        node.resolve("deploy/psr.part-tank.cfg"), node.resolve("deploy/psr.part-alarms.cfg"), node.resolve("deploy/psr.bridge.mqtt-demo.cfg"))) {
                    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
                }
                assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(node)), node.toString());
                assertTrue(Files.readString(node.resolve("transport.keys")).matches("(?s).*\\n1=hex:[0-9a-f]{64}\\n"), "key file of node " + n);
            }
            List<ProcessHandle> controllers = demo.controllers();
            assertEquals(3, controllers.size(), "controller processes: " + controllers);
            demo.process.destroyForcibly().waitFor();
            for (ProcessHandle c : controllers) c.onExit().get(30, TimeUnit.SECONDS);
            for (ProcessHandle c : controllers) assertFalse(c.isAlive(), "controller " + c.pid() + " outlived the demo");
            for (int n = 1; n <= 3; n++) {
                String log = Files.readString(temp.resolve("plant/node" + n + "/logs/psr.log"));
                assertTrue(log.contains("ended (--stop-with); stopping") && log.contains("PSR runtime stopped (stopped)"), "node " + n + ":\n" + log);
            }
        }
    }
}
