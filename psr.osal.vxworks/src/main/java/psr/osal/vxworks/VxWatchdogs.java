package psr.osal.vxworks;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import psr.api.osal.Watchdogs;

/**
 * {@link Watchdogs} on VxWorks: one task ({@code tPsrWdog}, priority {@value #TASK_PRIORITY}, above every
 * replica loop) watches them all in ticks. A kick stores {@code tick64Get()}; the task sleeps on a binary
 * semaphore until the earliest possible expiry. A watchdog of T expires once T has passed in whole ticks since
 * its last kick, so the action never runs early and runs at most about a tick late (plus scheduling).
 *
 * <p>Why not {@code wdStart}: its routine runs at interrupt level, where Java cannot run; the task gives the
 * same timing to one tick and runs the action as ordinary Java.
 */
final class VxWatchdogs implements Watchdogs {

    static final int TASK_PRIORITY = 5;

    private final VxKernel kernel;
    private final int rate;
    /** (message, failure or null) for warnings and errors. */
    private final BiConsumer<String, Throwable> log;
    private final long wake;
    private final long done;
    private final List<VxWatchdog> watched = new ArrayList<>();
    private volatile boolean stopped;

    VxWatchdogs(VxKernel kernel, BiConsumer<String, Throwable> log) throws VxException {
        this.kernel = kernel;
        this.rate = kernel.sysClkRateGet();
        this.log = log;
        this.wake = kernel.semBCreate(VxKernel.SEM_Q_PRIORITY, false);
        try {
            this.done = kernel.semBCreate(VxKernel.SEM_Q_FIFO, false);
        } catch (VxException e) {
            kernel.semDelete(wake);
            throw e;
        }
        try {
            kernel.taskSpawn("tPsrWdog", TASK_PRIORITY, 32 * 1024, this::watch);
        } catch (VxException e) {
            kernel.semDelete(done);
            kernel.semDelete(wake);
            throw e;
        }
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
        long ticks = VxClock.nanosToTicksAtLeast(unit.toNanos(timeout), rate);
        VxWatchdog watchdog = new VxWatchdog(name, ticks, timeoutAction, kernel.tick64Get());
        synchronized (watched) {
            if (stopped) {
                throw new IllegalStateException("watchdog '" + name + "' not started: the VxWorks watchdog service is "
                        + "deactivated");
            }
            watched.add(watchdog);
        }
        try {
            kernel.semGive(wake);
        } catch (VxException e) {
            log.accept("watchdog '" + name + "': waking the watchdog task failed (" + e.getMessage()
                    + "); it looks again within a second", null);
        }
        return watchdog;
    }

    void close() {
        synchronized (watched) {
            stopped = true;
            watched.forEach(w -> w.closed = true);
            watched.clear();
        }
        try {
            kernel.semGive(wake);
            if (kernel.semTake(done, (int) VxClock.nanosToTicksAtLeast(TimeUnit.SECONDS.toNanos(5), rate))) {
                kernel.semDelete(done);
                kernel.semDelete(wake);
            }
        } catch (VxException e) {
            log.accept("watchdog task: stopping failed: " + e.getMessage(), null);
        }
    }

    private void watch() {
        List<VxWatchdog> due = new ArrayList<>();
        try {
            while (!stopped) {
                long now = kernel.tick64Get();
                long sleep = rate; // Look at least once a second.
                synchronized (watched) {
                    watched.removeIf(w -> w.closed);
                    for (VxWatchdog watchdog : watched) {
                        long left = watchdog.expireIfDue(now);
                        if (left <= 0) {
                            if (left != Long.MIN_VALUE) {
                                due.add(watchdog);
                            }
                        } else {
                            sleep = Math.min(sleep, left);
                        }
                    }
                }
                for (VxWatchdog watchdog : due) {
                    if (watchdog.closed) {
                        continue;
                    }
                    watchdog.expiries++;
                    log.accept("watchdog '" + watchdog.name + "' expired: not kicked for " + watchdog.ticks
                            + " ticks", null);
                    try {
                        watchdog.action.run();
                    } catch (Throwable t) {
                        log.accept("watchdog '" + watchdog.name + "': the timeout action threw " + t, t);
                    }
                }
                due.clear();
                try {
                    kernel.semTake(wake, (int) Math.max(1, sleep));
                } catch (VxException e) {
                    log.accept("watchdog task: semTake failed (" + e.getMessage() + "); retrying after a tick", null);
                    try {
                        kernel.taskDelay(1);
                    } catch (VxException again) {
                        Thread.onSpinWait();
                    }
                }
            }
        } finally {
            try {
                kernel.semGive(done);
            } catch (VxException e) {
                log.accept("watchdog task: signalling its end failed: " + e.getMessage(), null);
            }
        }
    }

    private final class VxWatchdog implements Watchdog {
        final String name;
        final long ticks;
        final Runnable action;
        long lastKick;
        boolean expired;
        volatile long expiries;
        volatile boolean closed;

        VxWatchdog(String name, long ticks, Runnable action, long now) {
            this.name = name;
            this.ticks = ticks;
            this.action = action;
            this.lastKick = now;
        }

        @Override
        public void kick() {
            long now = kernel.tick64Get();
            boolean wasExpired;
            synchronized (this) {
                wasExpired = expired;
                lastKick = now;
                expired = false;
            }
            if (wasExpired) {
                try {
                    kernel.semGive(wake); // Re-armed: the task must time it again (rare, so the cost is fine).
                } catch (VxException e) {
                    log.accept("watchdog '" + name + "': waking the watchdog task failed (" + e.getMessage()
                            + "); it looks again within a second", null);
                }
            }
        }

        /** Ticks left; 0 or less when it expired now; Long.MIN_VALUE when it had already expired. */
        synchronized long expireIfDue(long now) {
            if (expired) {
                return Long.MIN_VALUE;
            }
            long left = ticks - VxKernel.ticksBetween(lastKick, now);
            if (left <= 0) {
                expired = true;
            }
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
    }
}
