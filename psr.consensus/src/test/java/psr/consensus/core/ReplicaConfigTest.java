package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReplicaConfigTest {

    @Test
    void quorumIsAMajorityAndAnyTwoQuorumsIntersect() {
        for (int n = 1; n <= 9; n++) {
            int q = ReplicaConfig.defaults(n, 0).quorum();
            assertTrue(2 * q > n, "two quorums of " + q + " out of " + n + " must share a replica");
            assertTrue(q <= n);
            assertEquals(q - 1, (n - 1) - (n - q), "f = n - quorum failures leave a quorum");
        }
        assertEquals(2, ReplicaConfig.defaults(3, 0).quorum());
        assertEquals(3, ReplicaConfig.defaults(4, 0).quorum());
        assertEquals(3, ReplicaConfig.defaults(5, 0).quorum());
    }

    @Test
    void primaryIsRoundRobin() {
        ReplicaConfig c = ReplicaConfig.defaults(5, 0);
        assertEquals(0, c.primaryOf(0));
        assertEquals(3, c.primaryOf(8));
        assertEquals(2, c.primaryOf(12));
    }

    @Test
    void badValuesNameTheSettingAndWhatIsAllowed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ReplicaConfig.defaults(5, 5));
        assertEquals("self = 5 is not allowed: expected 0 to 4", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ReplicaConfig(3, 0, 5, 8, 50, 50, 20, 10, 0, 65536));
        assertEquals("connectivityWindowTicks = 8 is not allowed: expected >= 2 * heartbeatTicks (10)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ReplicaConfig.defaults(10, 0));
        assertTrue(e.getMessage().startsWith("replicaCount = 10"));
    }
}
