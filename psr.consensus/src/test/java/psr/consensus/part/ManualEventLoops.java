package psr.consensus.part;

import java.util.PriorityQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;

/**
 * Event loops on one virtual clock, all run by the test's own thread: nothing happens until the test lets time pass
 * ({@link #runFor}, {@link #runUntil}, {@link #get}), and then tasks run one at a time in due-time order (queue order
 * among equals). With seeded replicas a run is the same every time, and a test of the runtime layer waits for
 * conditions in virtual time instead of polling the wall clock.
 *
 * <p>Work queued from outside any task (the test calling into a part, which queues on the part's loop) runs at
 * once, with everything else due now and without advancing the clock, as a real loop could run it before the call
 * returns: so a part's blocking calls that wait for their own loop ({@code stop}) complete. Single thread: any call
 * from another thread fails.
 */
final class ManualEventLoops implements EventLoops {
    private final Thread owner = Thread.currentThread();
    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>((a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
    private long nowNanos;
    private long seq;
    private Loop current; // the loop whose task runs now, or null

    private final class Scheduled implements EventLoop.Timer {
        final Loop loop;
        final Runnable task;
        final long periodNanos;
        long due;
        long seq;
        boolean cancelled;

        Scheduled(Loop loop, Runnable task, long due, long periodNanos) {
            this.loop = loop;
            this.task = task;
            this.due = due;
            this.periodNanos = periodNanos;
        }

        @Override
        public void cancel() {
            cancelled = true;
        }
    }

    private final class Loop implements EventLoop {
        final String name;
        final int priority;
        final Consumer<Throwable> errorHandler;
        boolean closed;

        Loop(String name, int priority, Consumer<Throwable> errorHandler) {
            this.name = name;
            this.priority = priority;
            this.errorHandler = errorHandler;
        }

        @Override
        public void execute(Runnable task) {
            add(this, task, 0, 0);
            if (current == null) settle();
        }

        @Override
        public Timer schedule(Runnable task, long delay, TimeUnit unit) {
            return add(this, task, unit.toNanos(delay), 0);
        }

        @Override
        public Timer scheduleAtFixedRate(Runnable task, long initialDelay, long period, TimeUnit unit) {
            if (period <= 0) throw new IllegalArgumentException("period " + period + " is not positive");
            return add(this, task, unit.toNanos(initialDelay), unit.toNanos(period));
        }

        @Override public boolean inEventLoop() { return current == this; }
        @Override public String name() { return name; }
        @Override public int priority() { return priority; }

        @Override
        public void close() {
            checkThread();
            closed = true;
        }
    }

    @Override
    public EventLoop create(String name, int priority, Consumer<Throwable> errorHandler) {
        checkThread();
        return new Loop(name, priority, errorHandler);
    }

    /** Whether a task of one of these loops runs now (false: the test itself is calling). */
    boolean inTask() {
        return current != null;
    }

    /** The virtual time in milliseconds since the clock was made. */
    long nowMs() {
        return TimeUnit.NANOSECONDS.toMillis(nowNanos);
    }

    /** Lets {@code ms} of virtual time pass, running everything due in it. */
    void runFor(long ms) {
        checkThread();
        long end = nowNanos + TimeUnit.MILLISECONDS.toNanos(ms);
        while (!queue.isEmpty() && queue.peek().due <= end) runNext();
        nowNanos = end;
    }

    /** Runs until {@code condition} holds, at most {@code maxMs} of virtual time; fails naming {@code what} otherwise. */
    void runUntil(String what, long maxMs, BooleanSupplier condition) {
        checkThread();
        long end = nowNanos + TimeUnit.MILLISECONDS.toNanos(maxMs);
        while (!condition.getAsBoolean()) {
            if (queue.isEmpty() || queue.peek().due > end) {
                throw new AssertionError("not within " + maxMs + " ms of virtual time: " + what + " (at " + nowMs() + " ms)");
            }
            runNext();
        }
    }

    /** Runs until {@code stage} completes (at most {@code maxMs}), then returns its value as {@code Future.get} would. */
    <T> T get(CompletionStage<T> stage, long maxMs) throws ExecutionException {
        var f = stage.toCompletableFuture();
        runUntil("a stage to complete", maxMs, f::isDone);
        try {
            return f.get();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private Scheduled add(Loop loop, Runnable task, long delayNanos, long periodNanos) {
        checkThread();
        Scheduled s = new Scheduled(loop, task, nowNanos + Math.max(0, delayNanos), periodNanos);
        if (loop.closed) {
            s.cancelled = true;
            return s;
        }
        s.seq = seq++;
        queue.add(s);
        return s;
    }

    /** Runs everything due now, without advancing the clock. */
    private void settle() {
        while (!queue.isEmpty() && queue.peek().due <= nowNanos) runNext();
    }

    private void runNext() {
        Scheduled s = queue.poll();
        if (s.cancelled || s.loop.closed) return;
        nowNanos = Math.max(nowNanos, s.due);
        current = s.loop;
        try {
            s.task.run();
        } catch (Throwable t) {
            s.loop.errorHandler.accept(t);
        } finally {
            current = null;
        }
        if (s.periodNanos > 0 && !s.cancelled && !s.loop.closed) {
            s.due += s.periodNanos;
            s.seq = seq++;
            queue.add(s);
        }
    }

    private void checkThread() {
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("manual event loops are run by the test's thread only, not by " + Thread.currentThread().getName());
        }
    }
}
