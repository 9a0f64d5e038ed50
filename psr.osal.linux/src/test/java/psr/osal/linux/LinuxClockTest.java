package psr.osal.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LinuxClockTest {

    private final LinuxClock clock = new LinuxClock();

    @Test
    void monotonicTimeNeverGoesBack() {
        long previous = clock.monotonicNanos();
        for (int i = 0; i < 100_000; i++) {
            long now = clock.monotonicNanos();
            assertTrue(now - previous >= 0, "went back by " + (previous - now) + " ns");
            previous = now;
        }
    }

    @Test
    void monotonicTimeAdvancesWithSleep() throws InterruptedException {
        long start = clock.monotonicNanos();
        Thread.sleep(20);
        assertTrue(clock.monotonicNanos() - start >= 20_000_000L);
    }

    @Test
    void wallTimeIsMillisecondsSinceTheEpoch() {
        long before = System.currentTimeMillis();
        long wall = clock.wallMillis();
        long after = System.currentTimeMillis();
        assertTrue(before <= wall && wall <= after);
        assertTrue(wall > 1_600_000_000_000L, "after September 2020");
    }

    @Test
    void resolutionIsOneNanosecond() {
        assertEquals(1, clock.resolutionNanos());
    }
}
