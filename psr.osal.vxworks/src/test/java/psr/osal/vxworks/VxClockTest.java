package psr.osal.vxworks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VxClockTest {

    @TempDir
    Path temp;

    @Test
    void monotonicTimeMovesInWholeTicks() throws Exception {
        VxClock clock = new VxClock(EmulatedVxKernel.withDefaults(60, 0, temp));
        assertEquals(16_666_667, clock.resolutionNanos());
        long previous = clock.monotonicNanos();
        long start = previous;
        while (clock.monotonicNanos() - start < 200_000_000L) {
            long now = clock.monotonicNanos();
            assertTrue(now >= previous);
            long ticks = Math.round(now / (1e9 / 60));
            assertTrue(Math.abs(now - VxClock.ticksToNanos(ticks, 60)) <= 1, "a whole number of ticks: " + now);
            previous = now;
            Thread.sleep(1);
        }
    }

    @Test
    void monotonicTimeIsRightAcrossTheTickCounterWrap() throws Exception {
        VxClock clock = new VxClock(EmulatedVxKernel.withDefaults(1000, -20, temp));
        long start = clock.monotonicNanos();
        Thread.sleep(60);
        long elapsed = clock.monotonicNanos() - start;
        assertTrue(elapsed >= 50_000_000L && elapsed < 5_000_000_000L, "elapsed " + elapsed + " ns across the wrap");
    }

    @Test
    void tickConversionsNeitherOverflowNorRunEarly() {
        assertEquals(1_000_000_000L, VxClock.ticksToNanos(60, 60));
        assertEquals(16_666_666L, VxClock.ticksToNanos(1, 60));
        long century = 100L * 365 * 24 * 3600 * 1000; // A hundred years of 1 kHz ticks.
        assertEquals(century * 1_000_000L, VxClock.ticksToNanos(century, 1000), "no overflow for long spans");
        assertEquals(0, VxClock.nanosToTicksAtLeast(0, 60));
        // 10 ms at 60 Hz: less than a tick, so one tick plus the partial tick in progress.
        assertEquals(2, VxClock.nanosToTicksAtLeast(10_000_000L, 60));
        assertEquals(61, VxClock.nanosToTicksAtLeast(1_000_000_000L, 60));
        assertEquals(62, VxClock.nanosToTicksAtLeast(1_000_000_001L, 60));
    }
}
