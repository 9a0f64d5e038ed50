package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConnectivityTest {

    @Test
    void aPeerCountsOnlyAfterARoundTripWithinTheWindow() {
        Connectivity c = new Connectivity(5, 0, 15);
        assertFalse(c.connected(1, 0), "never heard: not connected");
        c.onPong(1, 10, 12);
        assertTrue(c.connected(1, 12));
        assertTrue(c.connected(1, 27), "still inside the window");
        assertFalse(c.connected(1, 28), "the window has passed");
    }

    @Test
    void aSlowRoundTripDoesNotCount() {
        Connectivity c = new Connectivity(3, 0, 15);
        c.onPong(1, 0, 16);
        assertFalse(c.connected(1, 16), "a round trip longer than the window is no connection");
    }

    @Test
    void echoesFromTheFutureAreIgnored() {
        Connectivity c = new Connectivity(3, 0, 15);
        c.onPong(1, 500, 3); // a ping sent by a previous incarnation whose clock was further on
        assertFalse(c.connected(1, 3));
    }

    @Test
    void quorumConnectedNeedsAMajorityIncludingItself() {
        Connectivity c = new Connectivity(5, 2, 15);
        assertEquals(1, c.connectedCount(0));
        c.onPong(0, 0, 1);
        assertFalse(c.quorumConnected(1), "itself and one peer are 2 of 5");
        c.onPong(4, 0, 1);
        assertTrue(c.quorumConnected(1), "itself and two peers are 3 of 5");
        c.onPong(2, 0, 1); // itself: ignored, always counted once
        assertEquals(3, c.connectedCount(1));
    }
}
