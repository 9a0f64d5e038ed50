package psr.osal.linux;

import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import psr.api.osal.EventLoop;
import psr.osal.common.LoopSettings;
import psr.osal.common.TaskQueue;
import psr.osal.common.TaskQueue.QueuedTimer;

/**
 * An {@link EventLoop} that is one platform thread. Tasks and timers wait in one {@link TaskQueue} (in
 * {@code System.nanoTime} units) guarded by one lock, and the thread sleeps on a condition until the earlier of
 * "a task arrived" and "the first timer is due". Nothing else runs work for the loop, so everything it runs
 * is on its own thread, in order; the order of tasks and timers, and how periodic timers skip missed runs, is
 * {@link TaskQueue}'s (the same on every backend).
 *
 * <p>{@link #close()} never interrupts the running task (an interrupt would close any {@code FileChannel}
 * it is using); it waits for it at most {@link #CLOSE_WAIT_MILLIS}.
 */
final class ThreadEventLoop implements EventLoop {

    /** How long {@link #close()} waits for the task running now. */
    static final long CLOSE_WAIT_MILLIS = 5_000;

    private final String name;
    private final int priority;
    private final Consumer<Throwable> errorHandler;
    /** Reports what the error handler itself throws; never throws. */
    private final Consumer<String> warn;
    private final LongSupplier nanoTime;
    private final Thread thread;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition workArrived = lock.newCondition();
    /** Guarded by {@link #lock}. */
    private final TaskQueue queue = new TaskQueue();
    private volatile boolean closed;

    ThreadEventLoop(String name, int priority, Consumer<Throwable> errorHandler, Consumer<String> warn) {
        this(name, priority, errorHandler, warn, System::nanoTime);
    }

    ThreadEventLoop(String name, int priority, Consumer<Throwable> errorHandler, Consumer<String> warn,
            LongSupplier nanoTime) {
        this.name = LoopSettings.checkName(name);
        this.priority = LoopSettings.checkPriority(priority);
        this.errorHandler = Objects.requireNonNull(errorHandler, "errorHandler");
        this.warn = Objects.requireNonNull(warn, "warn");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.thread = new Thread(this::run, "psr-loop-" + name);
        thread.setDaemon(true);
        thread.setPriority(javaPriority(priority));
        thread.start();
    }

    /**
     * The Java thread priority for a PSR priority: 0..255 (0 most urgent) onto 10..1 (10 most urgent) in
     * 10 equal bands of 25.6 PSR levels. Best effort: the JVM on Linux ignores thread priorities unless it
     * runs with {@code -XX:ThreadPriorityPolicy=1} and the right to raise niceness; then they become nice
     * values. Ordering within the time-sharing scheduler is all it can give, never real-time preemption.
     */
    static int javaPriority(int psrPriority) {
        LoopSettings.checkPriority(psrPriority);
        return Thread.MAX_PRIORITY - (psrPriority * 10 / 256);
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        lock.lock();
        try {
            if (closed) {
                return;
            }
            queue.addTask(task);
            workArrived.signal();
        } finally {
            lock.unlock();
        }
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
        return addTimer(task, initialDelay, unit.toNanos(period), unit);
    }

    private Timer addTimer(Runnable task, long delay, long periodNanos, TimeUnit unit) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(unit, "unit");
        long delayNanos = Math.max(0, unit.toNanos(delay));
        String description = (periodNanos > 0 ? "periodic timer" : "timer") + " of loop '" + name + "'";
        lock.lock();
        try {
            if (closed) {
                return TaskQueue.cancelledTimer(task, description);
            }
            QueuedTimer timer = queue.addTimer(task, nanoTime.getAsLong() + delayNanos, periodNanos, this::cancel, description);
            workArrived.signal();
            return timer;
        } finally {
            lock.unlock();
        }
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

    /** The platform thread; for tests and diagnostics. */
    Thread thread() {
        return thread;
    }

    boolean isClosed() {
        return closed;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                queue.clear();
                workArrived.signal();
            }
        } finally {
            lock.unlock();
        }
        if (inEventLoop()) {
            return; // Closed by its own task: the loop ends when that task returns.
        }
        try {
            thread.join(CLOSE_WAIT_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        if (thread.isAlive()) {
            warn.accept("event loop '" + name + "': the task running at close did not finish within "
                    + CLOSE_WAIT_MILLIS + " ms; the loop ends when it returns");
        }
    }

    @Override
    public String toString() {
        return "EventLoop[" + name + ", priority " + priority + (closed ? ", closed]" : "]");
    }

    private void run() {
        while (true) {
            Runnable work = next();
            if (work == null) {
                return;
            }
            try {
                work.run();
            } catch (Throwable t) {
                report(t);
            }
        }
    }

    /** The next piece of work, waiting for it; null once the loop is closed. */
    private Runnable next() {
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    return null;
                }
                long now = nanoTime.getAsLong();
                QueuedTimer due = queue.pollDueTimer(now);
                if (due != null) {
                    return () -> fire(due);
                }
                Runnable task = queue.pollTask();
                if (task != null) {
                    return task;
                }
                long wait = queue.untilFirstDeadline(now);
                try {
                    if (wait == Long.MAX_VALUE) {
                        workArrived.await();
                    } else {
                        workArrived.awaitNanos(wait);
                    }
                } catch (InterruptedException e) {
                    // Nobody but close() has a reason to wake us; re-check the state.
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void fire(QueuedTimer timer) {
        try {
            timer.runTask();
        } finally {
            if (timer.periodic()) {
                lock.lock();
                try {
                    if (!closed) queue.rearm(timer, nanoTime.getAsLong());
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private void cancel(QueuedTimer timer) {
        lock.lock();
        try {
            queue.cancel(timer);
        } finally {
            lock.unlock();
        }
    }

    private void report(Throwable failure) {
        try {
            errorHandler.accept(failure);
        } catch (Throwable t) {
            warn.accept("event loop '" + name + "': the error handler threw " + t + " while handling " + failure);
        }
    }
}
