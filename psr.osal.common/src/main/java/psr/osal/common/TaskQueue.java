package psr.osal.common;

import java.util.ArrayDeque;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.function.Consumer;

import psr.api.osal.EventLoop;

/**
 * The work queue of one event loop: tasks in a FIFO queue, timers ordered by deadline and then by when they were
 * (re)scheduled, in the units of the backend's clock (nanoseconds on Linux, ticks on VxWorks). Deadlines are
 * compared wrap-safe ({@code a - b < 0}), as {@code System.nanoTime} and a 64-bit tick counter need.
 *
 * <p><b>Threads.</b> Not thread-safe and never blocks: the loop guards every call with its own lock (a
 * {@code ReentrantLock} on Linux, an inversion-safe mutex on VxWorks) and waits its own way. Only a timer's
 * cancelled flag ({@link QueuedTimer#cancelled()}, {@link QueuedTimer#markCancelled()}) may be used without it.
 *
 * <p><b>Order</b> (what both backends promise): a due timer runs before queued tasks (timers are timeouts and
 * heartbeats, whose lateness matters); due timers run in deadline order, equal deadlines in scheduling order;
 * tasks in submission order. A periodic timer runs at {@code first + k * period}; when a run starts late by more
 * than a period, the missed runs are skipped, never run in a burst.
 */
public final class TaskQueue {
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final PriorityQueue<QueuedTimer> timers = new PriorityQueue<>();
    private long sequence;

    public void addTask(Runnable task) {
        tasks.addLast(Objects.requireNonNull(task, "task"));
    }

    /**
     * A timer due at {@code deadline}, every {@code period} after (0: once). {@code cancel} is what the timer's
     * {@link EventLoop.Timer#cancel()} does: the loop takes its lock and calls {@link #cancel(QueuedTimer)}.
     */
    public QueuedTimer addTimer(Runnable task, long deadline, long period, Consumer<QueuedTimer> cancel, String description) {
        QueuedTimer timer = new QueuedTimer(Objects.requireNonNull(task, "task"), period, cancel, description);
        timer.deadline = deadline;
        timer.sequence = sequence++;
        timers.add(timer);
        return timer;
    }

    /** A timer that was never queued (the loop is closed): already cancelled. */
    public static QueuedTimer cancelledTimer(Runnable task, String description) {
        QueuedTimer timer = new QueuedTimer(task, 0, t -> {}, description);
        timer.cancelled = true;
        return timer;
    }

    /** Removes and returns the first timer due at {@code now}, or null. */
    public QueuedTimer pollDueTimer(long now) {
        QueuedTimer first = timers.peek();
        if (first == null || first.deadline - now > 0) return null;
        return timers.poll();
    }

    /** Removes and returns the oldest task, or null. */
    public Runnable pollTask() {
        return tasks.pollFirst();
    }

    /** How long from {@code now} until the first timer is due (0 if one is due), or {@link Long#MAX_VALUE} without timers. */
    public long untilFirstDeadline(long now) {
        QueuedTimer first = timers.peek();
        return first == null ? Long.MAX_VALUE : Math.max(0, first.deadline - now);
    }

    /** After a periodic timer ran: queue it again at its next slot after {@code now}, unless it was cancelled. */
    public void rearm(QueuedTimer timer, long now) {
        if (timer.cancelled || timer.period <= 0) return;
        timer.deadline = nextSlot(timer.deadline, timer.period, now);
        timer.sequence = sequence++;
        timers.add(timer);
    }

    public void cancel(QueuedTimer timer) {
        timer.cancelled = true;
        timers.remove(timer);
    }

    /** The loop closes: queued tasks are dropped and every timer is cancelled. */
    public void clear() {
        tasks.clear();
        for (QueuedTimer timer : timers) timer.cancelled = true;
        timers.clear();
    }

    /**
     * The first slot of a periodic timer after {@code now}, given the slot it was scheduled for: missed slots are
     * skipped, never run in a burst. Wrap-safe.
     */
    public static long nextSlot(long scheduled, long period, long now) {
        long late = now - scheduled;
        if (late < 0) return scheduled + period;
        return scheduled + (late / period + 1) * period;
    }

    /** A timer of one loop. */
    public static final class QueuedTimer implements EventLoop.Timer, Comparable<QueuedTimer> {
        private final Runnable task;
        private final long period;
        private final Consumer<QueuedTimer> cancel;
        private final String description;
        private long deadline;
        private long sequence;
        private volatile boolean cancelled;

        private QueuedTimer(Runnable task, long period, Consumer<QueuedTimer> cancel, String description) {
            this.task = task;
            this.period = period;
            this.cancel = cancel;
            this.description = description;
        }

        /** Runs the timer's task unless it was cancelled; the loop calls it outside its lock, then {@link #rearm}. */
        public void runTask() {
            if (!cancelled) task.run();
        }

        public boolean cancelled() {
            return cancelled;
        }

        /** Marks it cancelled without the loop's lock (it stays queued until due, then is dropped). */
        public void markCancelled() {
            cancelled = true;
        }

        public boolean periodic() {
            return period > 0;
        }

        @Override
        public void cancel() {
            cancel.accept(this);
        }

        @Override
        public int compareTo(QueuedTimer other) {
            long difference = deadline - other.deadline;
            if (difference != 0) return difference < 0 ? -1 : 1;
            return Long.compare(sequence, other.sequence);
        }

        @Override
        public String toString() {
            return description;
        }
    }
}
