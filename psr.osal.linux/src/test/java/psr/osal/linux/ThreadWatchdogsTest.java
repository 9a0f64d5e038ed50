package psr.osal.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import psr.api.osal.Watchdogs.Watchdog;

class ThreadWatchdogsTest {

    private final TestLogger log = new TestLogger();
    private final ThreadWatchdogs watchdogs = new ThreadWatchdogs(log.logger());

    @AfterEach
    void deactivate() {
        watchdogs.deactivate();
    }

    @Test
    void aWatchdogKeptKickedNeverExpires() throws Exception {
        AtomicInteger fired = new AtomicInteger();
        Watchdog watchdog = watchdogs.start("kept", 200, TimeUnit.MILLISECONDS, fired::incrementAndGet);
        for (int i = 0; i < 20; i++) {
            Thread.sleep(10);
            watchdog.kick();
        }
        assertEquals(0, fired.get());
        assertFalse(watchdog.expired());
        watchdog.close();
    }

    @Test
    void aWatchdogNotKickedRunsItsActionOnceOnTheWatcherAndIsReArmedByAKick() throws Exception {
        Semaphore fired = new Semaphore(0);
        String[] thread = new String[1];
        long start = System.nanoTime();
        Watchdog watchdog = watchdogs.start("hung-loop", 50, TimeUnit.MILLISECONDS, () -> {
            thread[0] = Thread.currentThread().getName();
            fired.release();
        });
        assertTrue(fired.tryAcquire(10, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50), "not before the timeout");
        assertEquals("psr-watchdog", thread[0]);
        assertTrue(watchdog.expired());
        assertFalse(fired.tryAcquire(150, TimeUnit.MILLISECONDS), "once per expiry");
        assertEquals(1, watchdog.expiries());
        assertTrue(log.lines.contains("warn: watchdog '{}' expired: not kicked for {} ms"), log.lines.toString());

        watchdog.kick();
        assertFalse(watchdog.expired());
        assertTrue(fired.tryAcquire(10, TimeUnit.SECONDS), "expires again after the kick");
        assertEquals(2, watchdog.expiries());
        watchdog.close();
    }

    @Test
    void aClosedWatchdogNeverFires() throws Exception {
        AtomicInteger fired = new AtomicInteger();
        Watchdog watchdog = watchdogs.start("closed", 30, TimeUnit.MILLISECONDS, fired::incrementAndGet);
        watchdog.close();
        watchdog.close();
        Thread.sleep(120);
        assertEquals(0, fired.get());
    }

    @Test
    void aThrowingActionIsLoggedAndOtherWatchdogsStillFire() throws Exception {
        CountDownLatch other = new CountDownLatch(1);
        watchdogs.start("throws", 20, TimeUnit.MILLISECONDS, () -> {
            throw new IllegalStateException("action broke");
        });
        watchdogs.start("other", 60, TimeUnit.MILLISECONDS, other::countDown);
        assertTrue(other.await(10, TimeUnit.SECONDS));
        assertTrue(log.lines.contains("error: watchdog '{}': the timeout action threw {}"), log.lines.toString());
    }

    @Test
    void badArgumentsAreRefusedAndDeactivationStopsEverything() throws Exception {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> watchdogs.start("x", 0, TimeUnit.SECONDS,
                () -> { })).getMessage().contains("must be positive"));
        assertThrows(IllegalArgumentException.class, () -> watchdogs.start("", 1, TimeUnit.SECONDS, () -> { }));
        assertThrows(IllegalArgumentException.class, () -> watchdogs.start("x", 1, TimeUnit.SECONDS, null));
        AtomicInteger fired = new AtomicInteger();
        watchdogs.start("stopped", 30, TimeUnit.MILLISECONDS, fired::incrementAndGet);
        watchdogs.deactivate();
        Thread.sleep(100);
        assertEquals(0, fired.get());
        assertThrows(IllegalStateException.class, () -> watchdogs.start("late", 1, TimeUnit.SECONDS, () -> { }));
    }
}
