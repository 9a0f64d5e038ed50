package psr.osal.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import psr.api.osal.Watchdogs.Watchdog;

/**
 * The watchdogs one watcher task watches, in the units of the backend's clock (nanoseconds on Linux, ticks on
 * VxWorks): kicks, expiries and what the watcher must do next.
 *
 * <p><b>Threads.</b> {@link #start}, {@link #closeAll} and {@link #collectDue} take the table's monitor for a
 * few instructions (never across an action or I/O); a kick takes only its watchdog's monitor. Timeout actions are
 * run by the backend's watcher task through {@link #runDue}, outside every lock.
 */
public final class WatchdogTable {

    /** What a kick of an expired watchdog and a warning of the table tell the backend. */
    public interface Listener {
        /** An expired watchdog was kicked: the watcher should time it again (wake it). */
        void rearmed(TableWatchdog watchdog);

        /** A watchdog expired (message names it and its timeout), or a timeout action threw ({@code failure}). */
        void warn(String message, Throwable failure);
    }

    private final LongSupplier clock;
    private final String platform;
    private final Listener listener;
    private final List<TableWatchdog> watched = new ArrayList<>();
    private boolean stopped;

    /** {@code clock} gives the time in the units timeouts are given to {@link #start}; {@code platform} names the service in errors. */
    public WatchdogTable(LongSupplier clock, String platform, Listener listener) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.platform = platform;
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    /** Checks the arguments of {@code Watchdogs.start} as every backend does; returns the timeout in nanoseconds. */
    public static long checkStart(String name, long timeout, TimeUnit unit, Runnable timeoutAction) {
        if (name == null || name.isBlank()) throw new IllegalArgumentException("watchdog name '" + name + "' is empty");
        Objects.requireNonNull(unit, "unit");
        if (timeoutAction == null) throw new IllegalArgumentException("watchdog '" + name + "' has no timeout action");
        if (timeout <= 0) {
            throw new IllegalArgumentException("watchdog '" + name + "': timeout " + timeout + " " + unit + " must be positive");
        }
        return unit.toNanos(timeout);
    }

    /**
     * Starts watching; the timeout counts from now. {@code timeoutText} says the timeout in the operator's terms
     * ("500 ms", "30 ticks").
     *
     * @throws IllegalStateException when the table was closed (the service is deactivated)
     */
    public synchronized TableWatchdog start(String name, long timeoutUnits, String timeoutText, Runnable action) {
        if (stopped) {
            throw new IllegalStateException("watchdog '" + name + "' not started: the " + platform + " watchdog service is deactivated");
        }
        TableWatchdog watchdog = new TableWatchdog(name, timeoutUnits, timeoutText, action, clock.getAsLong());
        watched.add(watchdog);
        return watchdog;
    }

    /** The service stops: every watchdog is closed and no action starts again. */
    public synchronized void closeAll() {
        stopped = true;
        for (TableWatchdog watchdog : watched) watchdog.closed = true;
        watched.clear();
    }

    public synchronized boolean stopped() {
        return stopped;
    }

    /**
     * Marks the watchdogs whose timeout passed at {@code now} as expired and adds them to {@code due}; returns how
     * long until the next one could expire ({@link Long#MAX_VALUE} when none is armed). Expired watchdogs wait for
     * a kick and are not timed.
     */
    public synchronized long collectDue(long now, List<TableWatchdog> due) {
        watched.removeIf(w -> w.closed);
        long sleep = Long.MAX_VALUE;
        for (TableWatchdog watchdog : watched) {
            long left = watchdog.expireIfDue(now);
            if (left == Long.MIN_VALUE) continue; // already expired
            if (left <= 0) {
                due.add(watchdog);
            } else {
                sleep = Math.min(sleep, left);
            }
        }
        return sleep;
    }

    /** Runs the actions of the watchdogs {@link #collectDue} found, one at a time, then empties {@code due}. */
    public void runDue(List<TableWatchdog> due) {
        for (TableWatchdog watchdog : due) {
            if (watchdog.closed) continue;
            watchdog.expiries++;
            listener.warn("watchdog '" + watchdog.name + "' expired: not kicked for " + watchdog.timeoutText, null);
            try {
                watchdog.action.run();
            } catch (Throwable t) {
                listener.warn("watchdog '" + watchdog.name + "': the timeout action threw " + t, t);
            }
        }
        due.clear();
    }

    /** One watchdog; kicked from any thread, checked by the watcher. */
    public final class TableWatchdog implements Watchdog {
        private final String name;
        private final long timeoutUnits;
        private final String timeoutText;
        private final Runnable action;
        private long lastKick;
        private boolean expired;
        private volatile long expiries;
        private volatile boolean closed;

        private TableWatchdog(String name, long timeoutUnits, String timeoutText, Runnable action, long now) {
            this.name = name;
            this.timeoutUnits = timeoutUnits;
            this.timeoutText = timeoutText;
            this.action = action;
            this.lastKick = now;
        }

        @Override
        public void kick() {
            long now = clock.getAsLong();
            boolean wasExpired;
            synchronized (this) {
                wasExpired = expired;
                lastKick = now;
                expired = false;
            }
            if (wasExpired) listener.rearmed(this);
        }

        /** Units left; 0 or less when it expired now; Long.MIN_VALUE when it had already expired. */
        private synchronized long expireIfDue(long now) {
            if (expired) return Long.MIN_VALUE;
            long left = timeoutUnits - (now - lastKick);
            if (left <= 0) expired = true;
            return left;
        }

        @Override
        public synchronized boolean expired() {
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
            return "Watchdog[" + name + ", " + timeoutText + (expired() ? ", expired]" : "]");
        }
    }
}
