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

/**
 * {@link Watchdogs} on Linux: one daemon thread ({@code psr-watchdog}, Java priority 10) watches every
 * watchdog. A kick is one volatile write of {@link System#nanoTime()}; the thread sleeps until the earliest
 * possible expiry, then checks. Timeout actions run on that thread, one at a time; what they throw is logged.
 */
@Component(name = "psr.osal.linux.watchdogs", service = Watchdogs.class, immediate = true,
        property = {"psr.osal=linux", "service.description=PSR software watchdogs (one watcher thread)"})
public final class ThreadWatchdogs implements Watchdogs {

    private final Logger logger;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Guarded by {@link #lock}. */
    private final List<ThreadWatchdog> watched = new ArrayList<>();
    /** Guarded by {@link #lock}. */
    private boolean stopped;
    private final Thread thread;

    @Activate
    public ThreadWatchdogs(@Reference(service = LoggerFactory.class) Logger logger) {
        this.logger = Objects.requireNonNull(logger, "logger");
        thread = new Thread(this::watch, "psr-watchdog");
        thread.setDaemon(true);
        thread.setPriority(Thread.MAX_PRIORITY);
        thread.start();
    }

    @Override
    public Watchdog start(String name, long timeout, TimeUnit unit, Runnable timeoutAction) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("watchdog name '" + name + "' is empty");
        }
        Objects.requireNonNull(unit, "unit");
        if (timeoutAction == null) {
            throw new IllegalArgumentException("watchdog '" + name + "' has no timeout action");
        }
        if (timeout <= 0) {
            throw new IllegalArgumentException("watchdog '" + name + "': timeout " + timeout + " " + unit
                    + " must be positive");
        }
        ThreadWatchdog watchdog = new ThreadWatchdog(name, unit.toNanos(timeout), timeoutAction);
        lock.lock();
        try {
            if (stopped) {
                throw new IllegalStateException("watchdog '" + name + "' not started: the Linux watchdog service "
                        + "is deactivated");
            }
            watched.add(watchdog);
            changed.signal();
        } finally {
            lock.unlock();
        }
        return watchdog;
    }

    @Deactivate
    void deactivate() {
        lock.lock();
        try {
            stopped = true;
            for (ThreadWatchdog watchdog : watched) {
                watchdog.closed = true;
            }
            watched.clear();
            changed.signal();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join(ThreadEventLoop.CLOSE_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void watch() {
        List<ThreadWatchdog> due = new ArrayList<>();
        while (true) {
            lock.lock();
            try {
                if (stopped) {
                    return;
                }
                watched.removeIf(w -> w.closed);
                long now = System.nanoTime();
                long sleep = Long.MAX_VALUE;
                for (ThreadWatchdog watchdog : watched) {
                    if (watchdog.expired) {
                        continue; // Waits for a kick; nothing to time.
                    }
                    long left = watchdog.expireIfDue(now);
                    if (left <= 0) {
                        due.add(watchdog);
                    } else {
                        sleep = Math.min(sleep, left);
                    }
                }
                if (due.isEmpty()) {
                    try {
                        // An expired watchdog is re-armed by a kick without a signal: look again at least every 50 ms.
                        changed.awaitNanos(Math.min(sleep, TimeUnit.MILLISECONDS.toNanos(50)));
                    } catch (InterruptedException e) {
                        // Only deactivate() has a reason to wake us; re-check.
                    }
                    continue;
                }
            } finally {
                lock.unlock();
            }
            for (ThreadWatchdog watchdog : due) {
                if (watchdog.closed) {
                    continue;
                }
                watchdog.expiries++;
                logger.warn("watchdog '{}' expired: not kicked for {} ms", watchdog.name,
                        TimeUnit.NANOSECONDS.toMillis(watchdog.timeoutNanos));
                try {
                    watchdog.action.run();
                } catch (Throwable t) {
                    logger.error("watchdog '{}': the timeout action threw {}", watchdog.name, t.toString(), t);
                }
            }
            due.clear();
        }
    }

    /** One watchdog; kicked from any thread, checked by the watcher thread. */
    private final class ThreadWatchdog implements Watchdog {
        final String name;
        final long timeoutNanos;
        final Runnable action;
        volatile long lastKick = System.nanoTime();
        volatile boolean expired;
        volatile long expiries;
        volatile boolean closed;

        ThreadWatchdog(String name, long timeoutNanos, Runnable action) {
            this.name = name;
            this.timeoutNanos = timeoutNanos;
            this.action = action;
        }

        /** Kicks and expiry checks are atomic with each other (a monitor held for a few instructions). */
        @Override
        public void kick() {
            synchronized (this) {
                lastKick = System.nanoTime();
                expired = false;
            }
        }

        /** Marks the watchdog expired when its timeout has passed; returns the nanoseconds left (0 or less: expired now). */
        synchronized long expireIfDue(long now) {
            long left = lastKick + timeoutNanos - now;
            if (left <= 0) {
                expired = true;
            }
            return left;
        }

        @Override
        public boolean expired() {
            return expired;
        }

        @Override
        public long expiries() {
            return expiries;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void close() {
            closed = true;
        }

        @Override
        public String toString() {
            return "Watchdog[" + name + ", " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"
                    + (expired ? ", expired]" : "]");
        }
    }
}
