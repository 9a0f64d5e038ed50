package psr.osal.vxworks;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import psr.api.osal.EventLoop;
import psr.osal.common.LoopSettings;
import psr.osal.common.TaskQueue;
import psr.osal.common.TaskQueue.QueuedTimer;

/**
 * An {@link EventLoop} that is one VxWorks task at the PSR priority itself (PSR priorities are VxWorks
 * priorities: 0 highest, 255 lowest). The task and callers share a queue guarded by an inversion-safe mutex
 * ({@code semMCreate(SEM_Q_PRIORITY | SEM_INVERSION_SAFE | SEM_DELETE_SAFE)}), so a low-priority caller that holds
 * it while the loop waits is raised to the loop's priority. The task sleeps on a binary semaphore with a
 * timeout in ticks until the first timer is due. Tasks and timers wait in a {@link TaskQueue} in ticks, with the
 * order every backend promises.
 *
 * <p>Timers count in ticks: a delay becomes the least number of ticks that lasts at least that long, plus one
 * (the tick in progress is partly over), so nothing runs early; everything runs late by up to a tick. Periodic
 * timers skip missed slots. Tick deadlines are compared wrap-safe.
 *
 * <p>Kernel failures: a failure in {@link #execute} or {@link #schedule} (semTake/semGive refused) is thrown
 * to the caller as an {@link IllegalStateException} naming the call and errno, and leaves the queue as it was.
 * A failure in the task's own wait is reported to the error handler and the task retries after one tick.
 */
final class VxEventLoop implements EventLoop {

    static final int STACK_SIZE = 64 * 1024;
    static final int OPTIONS_MUTEX = VxKernel.SEM_Q_PRIORITY | VxKernel.SEM_INVERSION_SAFE | VxKernel.SEM_DELETE_SAFE;

    private final VxKernel kernel;
    private final int rate;
    private final String name;
    private final int priority;
    private final Consumer<Throwable> errorHandler;
    private final Consumer<String> warn;
    private final long mutex;
    private final long wake;
    private final long done;
    private final long taskId;
    private volatile Thread thread;

    /** Guarded by {@link #mutex}. */
    private final TaskQueue queue = new TaskQueue();
    private volatile boolean closed;

    VxEventLoop(VxKernel kernel, String name, int priority, Consumer<Throwable> errorHandler, Consumer<String> warn)
            throws VxException {
        this.kernel = kernel;
        this.rate = kernel.sysClkRateGet();
        this.name = LoopSettings.checkName(name);
        this.priority = LoopSettings.checkPriority(priority);
        this.errorHandler = Objects.requireNonNull(errorHandler, "errorHandler");
        this.warn = warn;
        long createdMutex = kernel.semMCreate(OPTIONS_MUTEX);
        long createdWake = 0;
        long createdDone = 0;
        try {
            createdWake = kernel.semBCreate(VxKernel.SEM_Q_PRIORITY, false);
            createdDone = kernel.semBCreate(VxKernel.SEM_Q_FIFO, false);
            this.mutex = createdMutex;
            this.wake = createdWake;
            this.done = createdDone;
            this.taskId = kernel.taskSpawn("tPsr" + name, priority, STACK_SIZE, this::run);
        } catch (VxException | RuntimeException e) {
            deleteQuietly(createdDone);
            deleteQuietly(createdWake);
            deleteQuietly(createdMutex);
            throw e;
        }
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        if (closed) {
            return;
        }
        lock("execute");
        try {
            if (closed) {
                return;
            }
            queue.addTask(task);
        } finally {
            unlock("execute");
        }
        signal("execute");
    }

    @Override
    public Timer schedule(Runnable task, long delay, TimeUnit unit) {
        return addTimer(task, delay, 0, unit);
    }

    @Override
    public Timer scheduleAtFixedRate(Runnable task, long initialDelay, long period, TimeUnit unit) {
        if (period <= 0) {
            throw LoopSettings.badPeriod(period, unit, name);
        }
        long periodTicks = Math.max(1, VxClock.nanosToTicksAtLeast(unit.toNanos(period), rate) - 1);
        return addTimer(task, initialDelay, periodTicks, unit);
    }

    private Timer addTimer(Runnable task, long delay, long periodTicks, TimeUnit unit) {
        Objects.requireNonNull(task, "task");
        long delayTicks = VxClock.nanosToTicksAtLeast(unit.toNanos(delay), rate);
        String description = (periodTicks > 0 ? "periodic timer" : "timer") + " of loop '" + name + "'";
        if (closed) {
            return TaskQueue.cancelledTimer(task, description);
        }
        QueuedTimer timer;
        lock("schedule");
        try {
            if (closed) {
                return TaskQueue.cancelledTimer(task, description);
            }
            timer = queue.addTimer(task, kernel.tick64Get() + delayTicks, periodTicks, this::cancel, description);
        } finally {
            unlock("schedule");
        }
        signal("schedule");
        return timer;
    }

    @Override
    public boolean inEventLoop() {
        return Thread.currentThread() == thread;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int priority() {
        return priority;
    }

    long taskId() {
        return taskId;
    }

    /** The loop task's thread once it runs (tests aim faults at it). */
    Thread thread() {
        return thread;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock("close");
            try {
                queue.clear();
            } finally {
                unlock("close");
            }
            signal("close");
        } catch (IllegalStateException e) {
            warn.accept("event loop '" + name + "': " + e.getMessage() + " while closing; the task ends at its next wake-up");
        }
        if (inEventLoop()) {
            return;
        }
        try {
            int waitTicks = (int) Math.min(Integer.MAX_VALUE, VxClock.nanosToTicksAtLeast(
                    TimeUnit.MILLISECONDS.toNanos(5_000), rate));
            if (!kernel.semTake(done, waitTicks)) {
                warn.accept("event loop '" + name + "': the task running at close did not finish within 5 s; the "
                        + "task ends when it returns");
                return;
            }
        } catch (VxException e) {
            warn.accept("event loop '" + name + "': waiting for the task to end failed: " + e.getMessage());
            return;
        }
        deleteQuietly(done);
        deleteQuietly(wake);
        deleteQuietly(mutex);
    }

    @Override
    public String toString() {
        return "EventLoop[" + name + ", VxWorks priority " + priority + (closed ? ", closed]" : "]");
    }

    private void run() {
        thread = Thread.currentThread();
        try {
            while (true) {
                Runnable work;
                try {
                    work = next();
                } catch (VxException e) {
                    report(new IllegalStateException("event loop '" + name + "': " + e.getMessage()
                            + "; retrying after one tick", e));
                    delayOneTick();
                    continue;
                }
                if (work == null) {
                    return;
                }
                try {
                    work.run();
                } catch (Throwable t) {
                    report(t);
                }
            }
        } finally {
            try {
                kernel.semGive(done);
            } catch (VxException e) {
                warn.accept("event loop '" + name + "': signalling its end failed: " + e.getMessage());
            }
        }
    }

    /** The next work, waiting for it; null once closed. Throws what the kernel refused, with the queue unchanged. */
    private Runnable next() throws VxException {
        while (true) {
            if (closed) {
                return null;
            }
            Runnable work = null;
            // Never wait forever: a wake-up lost to a kernel failure then costs at most a second.
            int waitTicks = rate;
            if (!kernel.semTake(mutex, VxKernel.WAIT_FOREVER)) {
                continue;
            }
            try {
                long now = kernel.tick64Get();
                QueuedTimer due = queue.pollDueTimer(now);
                if (due != null) {
                    work = () -> fire(due);
                } else {
                    work = queue.pollTask();
                    long untilDue = queue.untilFirstDeadline(now);
                    if (work == null && untilDue != Long.MAX_VALUE) {
                        waitTicks = (int) Math.max(1, Math.min(rate, untilDue));
                    }
                }
            } finally {
                try {
                    unlock("run");
                } catch (IllegalStateException e) {
                    report(e);
                }
            }
            if (work != null) {
                return work;
            }
            kernel.semTake(wake, waitTicks);
        }
    }

    private void fire(QueuedTimer timer) {
        try {
            timer.runTask();
        } finally {
            if (timer.periodic() && !timer.cancelled() && !closed) {
                lock("timer");
                try {
                    if (!closed) queue.rearm(timer, kernel.tick64Get());
                } finally {
                    unlock("timer");
                }
            }
        }
    }

    private void report(Throwable failure) {
        try {
            errorHandler.accept(failure);
        } catch (Throwable t) {
            warn.accept("event loop '" + name + "': the error handler threw " + t + " while handling " + failure);
        }
    }

    private void delayOneTick() {
        try {
            kernel.taskDelay(1);
        } catch (VxException e) {
            Thread.onSpinWait();
        }
    }

    private void lock(String what) {
        try {
            if (!kernel.semTake(mutex, VxKernel.WAIT_FOREVER)) {
                throw new IllegalStateException("event loop '" + name + "': " + what + ": semTake of the queue mutex "
                        + "timed out with WAIT_FOREVER");
            }
        } catch (VxException e) {
            throw new IllegalStateException("event loop '" + name + "': " + what + " refused by the kernel: "
                    + e.getMessage(), e);
        }
    }

    /** Releases the queue mutex; a refused semGive is retried once, since the work already done must not be undone. */
    private void unlock(String what) {
        try {
            kernel.semGive(mutex);
        } catch (VxException first) {
            try {
                kernel.semGive(mutex);
                warn.accept("event loop '" + name + "': " + what + ": semGive of the queue mutex failed once ("
                        + first.getMessage() + "), the retry worked");
                return;
            } catch (VxException e) {
                e.addSuppressed(first);
                throw new IllegalStateException("event loop '" + name + "': " + what + ": releasing the queue mutex "
                        + "failed: " + e.getMessage(), e);
            }
        }
    }

    /** Wakes the task; a failure here only delays the work until the task's next wake-up (at most a second), so it is reported, not thrown. */
    private void signal(String what) {
        try {
            kernel.semGive(wake);
        } catch (VxException e) {
            warn.accept("event loop '" + name + "': " + what + ": waking the task failed (" + e.getMessage()
                    + "); the work runs at the task's next wake-up");
        }
    }

    private void deleteQuietly(long semaphore) {
        if (semaphore == 0) {
            return;
        }
        try {
            kernel.semDelete(semaphore);
        } catch (VxException e) {
            warn.accept("event loop '" + name + "': semDelete failed: " + e.getMessage());
        }
    }

    private void cancel(QueuedTimer timer) {
        timer.markCancelled(); // enough on its own: the task drops a cancelled timer when it comes due
        if (closed) {
            return;
        }
        try {
            lock("cancel");
        } catch (IllegalStateException e) {
            return; // Cancelled by its flag; the task drops it when it comes due.
        }
        try {
            queue.cancel(timer);
        } finally {
            unlock("cancel");
        }
    }
}
