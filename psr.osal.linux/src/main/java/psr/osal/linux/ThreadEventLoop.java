package psr.osal.linux;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;

/**
 * An {@link EventLoop} that is one platform thread. Tasks and timers share one lock: tasks wait in a FIFO
 * queue, timers in a deadline-ordered queue, and the thread sleeps on a condition until the earlier of
 * "a task arrived" and "the first timer is due". Nothing else runs work for the loop, so everything it runs
 * is on its own thread, in order.
 *
 * <p>Order: a timer that is due runs before queued tasks (timers are usually timeouts and heartbeats, whose
 * lateness matters); due timers run in deadline order, and timers with equal deadlines in the order they
 * were scheduled. Tasks run in submission order.
 *
 * <p>Periodic timers run at {@code initialDelay + k * period}. When a run starts late by more than a
 * period (the loop was busy), the missed runs are skipped: the next run is the first slot after now.
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
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    /** Guarded by {@link #lock}. */
    private final PriorityQueue<LoopTimer> timers = new PriorityQueue<>();
    /** Guarded by {@link #lock}. */
    private long timerSequence;
    private volatile boolean closed;

    ThreadEventLoop(String name, int priority, Consumer<Throwable> errorHandler, Consumer<String> warn) {
        this(name, priority, errorHandler, warn, System::nanoTime);
    }

    ThreadEventLoop(String name, int priority, Consumer<Throwable> errorHandler, Consumer<String> warn,
            LongSupplier nanoTime) {
        this.name = checkName(name);
        this.priority = checkPriority(priority);
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
        checkPriority(psrPriority);
        return Thread.MAX_PRIORITY - (psrPriority * 10 / 256);
    }

    static int checkPriority(int priority) {
        if (priority < EventLoops.PRIORITY_HIGHEST || priority > EventLoops.PRIORITY_LOWEST) {
            throw new IllegalArgumentException("event loop priority " + priority + " is out of range: expected "
                    + EventLoops.PRIORITY_HIGHEST + " (most urgent) to " + EventLoops.PRIORITY_LOWEST
                    + " (least urgent)");
        }
        return priority;
    }

    static String checkName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("event loop name '" + name + "' is empty: give each loop a name "
                    + "for diagnostics");
        }
        return name;
    }

    /**
     * The first slot of a periodic timer after {@code now}, given the slot it was scheduled for: missed
     * slots are skipped, never run in a burst. Wrap-safe for {@code System.nanoTime} values.
     */
    static long nextSlot(long scheduled, long period, long now) {
        long late = now - scheduled;
        if (late < 0) {
            return scheduled + period;
        }
        long missed = late / period;
        return scheduled + (missed + 1) * period;
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        lock.lock();
        try {
            if (closed) {
                return;
            }
            tasks.addLast(task);
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
            throw new IllegalArgumentException("period " + period + " " + unit + " of a periodic timer on loop '"
                    + name + "' must be positive");
        }
        return addTimer(task, initialDelay, unit.toNanos(period), unit);
    }

    private Timer addTimer(Runnable task, long delay, long periodNanos, TimeUnit unit) {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(unit, "unit");
        long delayNanos = Math.max(0, unit.toNanos(delay));
        lock.lock();
        try {
            LoopTimer timer = new LoopTimer(task, nanoTime.getAsLong() + delayNanos, periodNanos, timerSequence++);
            if (closed) {
                timer.cancelled = true;
                return timer;
            }
            timers.add(timer);
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
                tasks.clear();
                for (LoopTimer timer : timers) {
                    timer.cancelled = true;
                }
                timers.clear();
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
                LoopTimer first = timers.peek();
                if (first != null && first.deadline - now <= 0) {
                    timers.poll();
                    return () -> fire(first);
                }
                Runnable task = tasks.pollFirst();
                if (task != null) {
                    return task;
                }
                try {
                    if (first == null) {
                        workArrived.await();
                    } else {
                        workArrived.awaitNanos(first.deadline - now);
                    }
                } catch (InterruptedException e) {
                    // Nobody but close() has a reason to wake us; re-check the state.
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void fire(LoopTimer timer) {
        if (timer.cancelled) {
            return;
        }
        try {
            timer.task.run();
        } finally {
            if (timer.period > 0) {
                rearm(timer);
            }
        }
    }

    private void rearm(LoopTimer timer) {
        lock.lock();
        try {
            if (timer.cancelled || closed) {
                return;
            }
            timer.deadline = nextSlot(timer.deadline, timer.period, nanoTime.getAsLong());
            timer.sequence = timerSequence++;
            timers.add(timer);
        } finally {
            lock.unlock();
        }
    }

    private void cancel(LoopTimer timer) {
        lock.lock();
        try {
            timer.cancelled = true;
            timers.remove(timer);
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

    /** A timer of this loop; ordered by deadline, then by when it was (re)scheduled. */
    private final class LoopTimer implements Timer, Comparable<LoopTimer> {
        final Runnable task;
        final long period;
        long deadline;
        long sequence;
        volatile boolean cancelled;

        LoopTimer(Runnable task, long deadline, long period, long sequence) {
            this.task = task;
            this.deadline = deadline;
            this.period = period;
            this.sequence = sequence;
        }

        @Override
        public void cancel() {
            ThreadEventLoop.this.cancel(this);
        }

        @Override
        public int compareTo(LoopTimer other) {
            long difference = deadline - other.deadline;
            if (difference != 0) {
                return difference < 0 ? -1 : 1;
            }
            return Long.compare(sequence, other.sequence);
        }

        @Override
        public String toString() {
            return (period > 0 ? "periodic timer" : "timer") + " of loop '" + name + "'";
        }
    }
}
