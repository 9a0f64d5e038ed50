package psr.consensus.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import psr.consensus.sim.Cluster;

class SmokeTest {
    @Test
    void threeReplicasCommitAndSurvivePrimaryCrash() {
        Cluster c = new Cluster(42, Cluster.Options.defaults(3));
        assertTrue(c.awaitProgress(50, 2_000) >= 0, c.describe());
        int primary = c.servingPrimary();
        assertEquals(0, primary);
        c.crash(primary);
        long ticks = c.awaitProgress(20, 3_000);
        assertTrue(ticks >= 0, c.describe());
        System.out.println("recovered in " + ticks + " ticks: " + c.describe());
        c.restart(primary);
        c.stopClients();
        c.run(500);
        c.checkConverged();
    }
}
