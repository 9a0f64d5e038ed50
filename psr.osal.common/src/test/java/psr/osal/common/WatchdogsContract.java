package psr.osal.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import psr.api.osal.Watchdogs;
import psr.api.osal.Watchdogs.Watchdog;

/**
 * What every {@link Watchdogs} backend promises, run by each backend against its own service. Waits are bounded and
 * generous; nothing asserts timing precision beyond "never before the timeout".
 */
public abstract class WatchdogsContract {

    private Watchdogs watchdogs;

    protected abstract Watchdogs startService() throws Exception;

    /** Deactivates the service: no action runs after it returns. */
    protected abstract void stopService(Watchdogs service);

    /** What the service logged so far, one entry per message (the backend's format around the message text). */
    protected abstract List<String> logged();

    @BeforeEach
    void startTheService() throws Exception {
        watchdogs = startService();
    }

    @AfterEach
    void stopTheService() {
        stopService(watchdogs);
    }

    private boolean loggedContaining(String text) {
        return logged().stream().anyMatch(line -> line.contains(text));
    }

    @Test
    void aWatchdogKeptKickedNeverExpires() throws Exception {
        AtomicInteger fired = new AtomicInteger();
        Watchdog watchdog = watchdogs.start("kept", 300, TimeUnit.MILLISECONDS, fired::incrementAndGet);
        for (int i = 0; i < 30; i++) {
            Thread.sleep(10);
            watchdog.kick();
        }
        assertEquals(0, fired.get());
        assertFalse(watchdog.expired());
        watchdog.close();
    }

    @Test
    void aWatchdogNotKickedRunsItsActionOnceAndIsReArmedByAKick() throws Exception {
        Semaphore fired = new Semaphore(0);
        long start = System.nanoTime();
        Watchdog watchdog = watchdogs.start("hung-loop", 50, TimeUnit.MILLISECONDS, fired::release);
        assertTrue(fired.tryAcquire(10, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50), "not before the timeout");
        assertTrue(watchdog.expired());
        assertFalse(fired.tryAcquire(200, TimeUnit.MILLISECONDS), "once per expiry");
        assertEquals(1, watchdog.expiries());
        assertTrue(loggedContaining("watchdog 'hung-loop' expired: not kicked for "), logged().toString());

        long kicked = System.nanoTime();
        watchdog.kick();
        assertFalse(watchdog.expired());
        assertTrue(fired.tryAcquire(10, TimeUnit.SECONDS), "expires again after the kick");
        assertTrue(System.nanoTime() - kicked >= TimeUnit.MILLISECONDS.toNanos(50), "not before the timeout after the kick");
        assertEquals(2, watchdog.expiries());
        watchdog.close();
    }

    @Test
    void aKickOfAnExpiredWatchdogIsTimedAgainPromptly() throws Exception {
        // A long-expired watchdog waits for a kick; after it, the watcher must time it again, not sleep on.
        Semaphore fired = new Semaphore(0);
        Watchdog watchdog = watchdogs.start("rearm", 40, TimeUnit.MILLISECONDS, fired::release);
        assertTrue(fired.tryAcquire(10, TimeUnit.SECONDS));
        watchdog.kick();
        long kicked = System.nanoTime();
        assertTrue(fired.tryAcquire(10, TimeUnit.SECONDS));
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - kicked);
        assertTrue(took < 900, "expired again " + took + " ms after the kick (timeout 40 ms)");
        watchdog.close();
    }

    @Test
    void aClosedWatchdogNeverFires() throws Exception {
        AtomicInteger fired = new AtomicInteger();
        Watchdog watchdog = watchdogs.start("closed", 30, TimeUnit.MILLISECONDS, fired::incrementAndGet);
        watchdog.close();
        watchdog.close();
        Thread.sleep(150);
        assertEquals(0, fired.get());
    }

    @Test
    void aThrowingActionIsLoggedAndOtherWatchdogsStillFire() throws Exception {
        CountDownLatch other = new CountDownLatch(1);
        watchdogs.start("throws", 20, TimeUnit.MILLISECONDS, () -> {
            throw new IllegalStateException("action broke");
        });
        watchdogs.start("other", 80, TimeUnit.MILLISECONDS, other::countDown);
        assertTrue(other.await(10, TimeUnit.SECONDS));
        assertTrue(loggedContaining("watchdog 'throws': the timeout action threw java.lang.IllegalStateException: action broke"),
                logged().toString());
    }

    @Test
    void badArgumentsAreRefusedWithTheReasonAndDeactivationStopsEverything() throws Exception {
        assertEquals("watchdog 'x': timeout 0 SECONDS must be positive",
                assertThrows(IllegalArgumentException.class, () -> watchdogs.start("x", 0, TimeUnit.SECONDS, () -> { })).getMessage());
        assertEquals("watchdog name '' is empty",
                assertThrows(IllegalArgumentException.class, () -> watchdogs.start("", 1, TimeUnit.SECONDS, () -> { })).getMessage());
        assertEquals("watchdog 'x' has no timeout action",
                assertThrows(IllegalArgumentException.class, () -> watchdogs.start("x", 1, TimeUnit.SECONDS, null)).getMessage());
        AtomicInteger fired = new AtomicInteger();
        watchdogs.start("stopped", 30, TimeUnit.MILLISECONDS, fired::incrementAndGet);
        stopService(watchdogs);
        Thread.sleep(100);
        assertEquals(0, fired.get());
        IllegalStateException late = assertThrows(IllegalStateException.class, () -> watchdogs.start("late", 1, TimeUnit.SECONDS, () -> { }));
        assertTrue(late.getMessage().startsWith("watchdog 'late' not started: the "), late.getMessage());
    }
}
