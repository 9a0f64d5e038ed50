package psr.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example control application ({@code psr.example.tank}) as a user deploys it: the bundle dropped into the deploy
 * folder of three controllers next to the configurations of parts {@code tank} (first primary node 1) and
 * {@code alarms} (first primary node 2). The tank's control cycles commit on its primary; kill -9 of that primary and
 * the new one goes on from the last committed cycle (the cycle counter and the integrated inflow never go back); the
 * alarms part has its own primary on another controller and its task evaluates the tank's level there; the pump
 * listener logs on every controller; the killed controller restarts and rejoins.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ExampleApplicationIT {
    static final Path EXAMPLE_JAR = Path.of(System.getProperty("psr.example.jar",
            "../psr.example.tank/target/psr.example.tank-0.1.0-SNAPSHOT.jar"));
    /** The cycle counter PSR commits with each cycle of the task (quoted: Gogo would expand {@code $task}). */
    static final Path CONSENSUS_JAR = Path.of(System.getProperty("psr.consensus.jar",
            "../psr.consensus/target/psr.consensus-0.1.0-SNAPSHOT.jar"));
    static final String CYCLE = "'$task/tank-control/cycle'";

    @TempDir
    Path temp;

    @Test
    void theTankKeepsItsCyclesThroughAKillOfItsPrimaryAndAlarmsRunOnAnotherController() throws Exception {
        assertTrue(Files.isRegularFile(EXAMPLE_JAR), "the example bundle: " + EXAMPLE_JAR.toAbsolutePath());
        try (Controllers c = new Controllers(temp, 3)) {
            c.configurePart("tank", "1,2,3", "");
            c.configurePart("alarms", "2,3,1", "");
            c.deployEverywhere(EXAMPLE_JAR);
            for (int n : c.nodes()) c.start(n);
            for (int n : c.nodes()) {
                c.awaitPart(n, "tank");
                c.awaitPart(n, "alarms");
            }
            int tankPrimary = c.awaitPrimary("tank", 60_000);
            int alarmsPrimary = c.awaitPrimary("alarms", 60_000);
            assertNotEquals(tankPrimary, alarmsPrimary, "the two parts lead on different controllers");

            long cycleBefore = awaitCycleAbove(c, tankPrimary, 20);
            double inflowBefore = Double.parseDouble(c.localValue(tankPrimary, "tank", "inflow.total"));
            assertNotNull(c.localValue(alarmsPrimary, "alarms", "tank.level.low"), "the alarms task ran on the alarms primary");

            c.kill(tankPrimary);
            long killedAt = System.nanoTime();
            int newPrimary = c.awaitPrimary("tank", 10_000);
            long cycleAfter = awaitCycleAbove(c, newPrimary, cycleBefore);
            long resumedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            double inflowAfter = Double.parseDouble(c.localValue(newPrimary, "tank", "inflow.total"));
            assertTrue(inflowAfter >= inflowBefore, "integrated inflow went back: " + inflowBefore + " -> " + inflowAfter);
            System.out.printf("ExampleApplicationIT: kill -9 of tank primary node %d at cycle >= %d -> node %d went on to cycle %d,"
                    + " cycles advancing again %d ms after the kill%n", tankPrimary, cycleBefore, newPrimary, cycleAfter, resumedMs);

            c.start(tankPrimary);
            c.awaitPart(tankPrimary, "tank");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!"BACKUP".equals(c.status(tankPrimary, "tank").group(1))) {
                assertTrue(System.nanoTime() < deadline, "node " + tankPrimary + " did not rejoin tank: " + c.tail(tankPrimary));
                Thread.sleep(100);
            }
            long rejoinedCycle = awaitCycleAbove(c, tankPrimary, cycleAfter);
            assertTrue(rejoinedCycle > cycleAfter);
            String log = Files.readString(c.logFile(newPrimary));
            assertTrue(log.contains("tank: pump started (op "), "the change listener logged the pump:\n" + log);
            // The failover left its trace in the new primary's log, in node ids.
            assertTrue(log.contains("part tank node " + newPrimary + ": peer node " + tankPrimary + " lost"), log);
            assertTrue(log.contains("part tank node " + newPrimary + ": became primary of view "), log);
            assertTrue(log.contains("; no primary here for "), log);
            printFailover(log, newPrimary);

            // Update the consensus bundle on the tank's primary while the control loop runs: the primary hands the
            // part over first (a switch-over), the other controllers go on committing, the updated node's replicas
            // restart from their disks and rejoin.
            int updated = c.awaitPrimary("tank", 10_000);
            long cycleAtUpdate = awaitCycleAbove(c, updated, rejoinedCycle);
            String bundleId = c.ask(updated, "lb -s", java.util.regex.Pattern.compile("(\\d+)\\|Active\\s*\\|\\s*\\d+\\|psr\\.consensus\\s")).group(1);
            assertTrue(Files.isRegularFile(CONSENSUS_JAR), "the consensus bundle to update from: " + CONSENSUS_JAR.toAbsolutePath());
            c.ask(updated, "update " + bundleId + " " + CONSENSUS_JAR.toAbsolutePath().toUri(),
                    java.util.regex.Pattern.compile(java.util.regex.Pattern.quote("[psr.consensus/" + bundleId + "] BundleEvent STARTED")));
            int afterUpdate = c.awaitPrimary("tank", 10_000);
            long cycleAfterUpdate = awaitCycleAbove(c, afterUpdate, cycleAtUpdate);
            c.awaitPart(updated, "tank");
            String updatedLog = Files.readString(c.logFile(updated));
            assertTrue(updatedLog.contains("part tank node " + updated + ": stopping; handed the part over to node "), updatedLog);
            long rejoinBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!"BACKUP".equals(c.status(updated, "tank").group(1))) {
                assertTrue(System.nanoTime() < rejoinBy, "node " + updated + " did not rejoin tank after the update: " + c.tail(updated));
                Thread.sleep(100);
            }
            awaitCycleAbove(c, updated, cycleAfterUpdate);
            System.out.printf("ExampleApplicationIT: psr.consensus (bundle %s) updated on tank primary node %d at cycle >= %d: node %d took"
                    + " over by hand-over and went on to cycle %d; node %d rejoined%n", bundleId, updated, cycleAtUpdate, afterUpdate,
                    cycleAfterUpdate, updated);
        }
    }

    private static void printFailover(String log, int newPrimary) {
            System.out.println("ExampleApplicationIT: the failover in node " + newPrimary + "'s psr.log:");
            log.lines().filter(l -> l.contains("part tank node " + newPrimary + ":") && !l.contains("peer node " + newPrimary))
                    .forEach(l -> System.out.println("  " + l));
    }

    /** Waits until the node's replica of tank has a cycle counter above {@code floor}; returns it. */
    private static long awaitCycleAbove(Controllers c, int node, long floor) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            String v = c.localValue(node, "tank", CYCLE);
            if (v != null && Long.parseLong(v) > floor) return Long.parseLong(v);
            if (System.nanoTime() > deadline) {
                throw new AssertionError("node " + node + ": tank cycle not above " + floor + " (is " + v + "):\n" + c.tail(node));
            }
            Thread.sleep(50);
        }
    }
}
