package psr.osal.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import psr.api.osal.Watchdogs.Watchdog;

/** What only the Linux watchdogs do; what every backend does is in {@code WatchdogsContract} ({@link ThreadWatchdogsContractTest}). */
class ThreadWatchdogsTest {

    private final TestLogger log = new TestLogger();
    private final ThreadWatchdogs watchdogs = new ThreadWatchdogs(log.logger());

    @AfterEach
    void deactivate() {
        watchdogs.deactivate();
    }

    @Test
    void actionsRunOnTheWatcherThreadAndExpiriesAreLoggedAsWarnings() throws Exception {
        Semaphore fired = new Semaphore(0);
        String[] thread = new String[1];
        Watchdog watchdog = watchdogs.start("hung-loop", 50, TimeUnit.MILLISECONDS, () -> {
            thread[0] = Thread.currentThread().getName();
            fired.release();
        });
        assertTrue(fired.tryAcquire(10, TimeUnit.SECONDS));
        assertEquals("psr-watchdog", thread[0]);
        assertTrue(log.lines.contains("warn: watchdog 'hung-loop' expired: not kicked for 50 ms"), log.lines.toString());
        watchdog.close();
    }
}
