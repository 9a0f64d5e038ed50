package psr.osal.vxworks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import psr.api.osal.Watchdogs;
import psr.osal.common.WatchdogTable;
import psr.osal.common.WatchdogTable.TableWatchdog;

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
    private final WatchdogTable table;

    VxWatchdogs(VxKernel kernel, BiConsumer<String, Throwable> log) throws VxException {
        this.kernel = kernel;
        this.rate = kernel.sysClkRateGet();
        this.log = log;
        this.table = new WatchdogTable(kernel::tick64Get, "VxWorks", new WatchdogTable.Listener() {
            @Override
            public void rearmed(TableWatchdog watchdog) {
                wake(watchdog.name()); // re-armed: the task must time it again (rare, so the cost is fine)
            }

            @Override
            public void warn(String message, Throwable failure) {
                VxWatchdogs.this.log.accept(message, failure);
            }
        });
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
        long ticks = VxClock.nanosToTicksAtLeast(WatchdogTable.checkStart(name, timeout, unit, timeoutAction), rate);
        Watchdog watchdog = table.start(name, ticks, ticks + " ticks", timeoutAction);
        wake(name);
        return watchdog;
    }

    private void wake(String name) {
        try {
            kernel.semGive(wake);
        } catch (VxException e) {
            log.accept("watchdog '" + name + "': waking the watchdog task failed (" + e.getMessage()
                    + "); it looks again within a second", null);
        }
    }

    void close() {
        if (table.stopped()) {
            return;
        }
        table.closeAll();
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
        List<TableWatchdog> due = new ArrayList<>();
        try {
            while (!table.stopped()) {
                // Look at least once a second. A kick or start between this look and the wait gives the binary
                // semaphore, so the wait below returns at once: no wake-up is lost.
                long sleep = Math.min(rate, table.collectDue(kernel.tick64Get(), due));
                if (!due.isEmpty()) {
                    table.runDue(due);
                    continue;
                }
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
}
