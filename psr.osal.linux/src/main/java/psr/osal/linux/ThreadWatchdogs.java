package psr.osal.linux;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

import psr.api.osal.Watchdogs;
import psr.osal.common.WatchdogTable;
import psr.osal.common.WatchdogTable.TableWatchdog;

/**
 * {@link Watchdogs} on Linux: one daemon thread ({@code psr-watchdog}, Java priority 10) watches every
 * watchdog of a {@link WatchdogTable} in {@link System#nanoTime()} units. A kick is a clock read and a few
 * instructions under the watchdog's monitor; the thread sleeps until the earliest possible expiry (or until an
 * expired watchdog is kicked again), then checks. Timeout actions run on that thread, one at a time; what they
 * throw is logged.
 */
@Component(name = "psr.osal.linux.watchdogs", service = Watchdogs.class, immediate = true,
        property = {"psr.osal=linux", "service.description=PSR software watchdogs (one watcher thread)"})
public final class ThreadWatchdogs implements Watchdogs {

    private final Logger logger;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Guarded by {@link #lock}: something changed since the watcher last looked (so it must not sleep). */
    private boolean dirty;
    private final WatchdogTable table;
    private final Thread thread;

    @Activate
    public ThreadWatchdogs(@Reference(service = LoggerFactory.class) Logger logger) {
        this.logger = Objects.requireNonNull(logger, "logger");
        this.table = new WatchdogTable(System::nanoTime, "Linux", new WatchdogTable.Listener() {
            @Override
            public void rearmed(TableWatchdog watchdog) {
                wake();
            }

            @Override
            public void warn(String message, Throwable failure) {
                if (failure == null) {
                    ThreadWatchdogs.this.logger.warn(message);
                } else {
                    ThreadWatchdogs.this.logger.error(message, failure);
                }
            }
        });
        thread = new Thread(this::watch, "psr-watchdog");
        thread.setDaemon(true);
        thread.setPriority(Thread.MAX_PRIORITY);
        thread.start();
    }

    @Override
    public Watchdog start(String name, long timeout, TimeUnit unit, Runnable timeoutAction) {
        long nanos = WatchdogTable.checkStart(name, timeout, unit, timeoutAction);
        Watchdog watchdog = table.start(name, nanos, TimeUnit.NANOSECONDS.toMillis(nanos) + " ms", timeoutAction);
        wake();
        return watchdog;
    }

    @Deactivate
    void deactivate() {
        table.closeAll();
        wake();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(ThreadEventLoop.CLOSE_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void wake() {
        lock.lock();
        try {
            dirty = true;
            changed.signal();
        } finally {
            lock.unlock();
        }
    }

    private void watch() {
        List<TableWatchdog> due = new ArrayList<>();
        while (!table.stopped()) {
            lock.lock();
            try {
                dirty = false; // what changes from here on wakes the wait below
            } finally {
                lock.unlock();
            }
            long sleep = table.collectDue(System.nanoTime(), due);
            if (!due.isEmpty()) {
                table.runDue(due);
                continue;
            }
            lock.lock();
            try {
                // Look again at least once a second, whatever is armed.
                if (!dirty) changed.awaitNanos(Math.min(sleep, TimeUnit.SECONDS.toNanos(1)));
            } catch (InterruptedException e) {
                // Only deactivate() has a reason to wake us; re-check.
            } finally {
                lock.unlock();
            }
        }
    }
}
