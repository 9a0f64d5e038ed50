package psr.consensus.part;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;

/**
 * Loops on a {@link ManualEventLoops} clock where the loops named {@code name} can be made to misbehave once, at the
 * next task the test itself queues (not one queued by another loop's task), to place a stop exactly where a real
 * thread could be preempted:
 * <ul>
 * <li>{@link #beforeNextOutsideExecute} runs just before that task reaches the loop (a caller that saw the part
 * running, then was preempted while the part stopped);
 * <li>{@link #afterNextOutsideExecute} runs just after it, and from then on that loop runs nothing more that is queued
 * on it (a loop stuck in an fsync that outlasts a stop's wait).
 * </ul>
 */
final class HookedLoops implements EventLoops {
    final ManualEventLoops clock;
    final String name;
    Runnable beforeNextOutsideExecute;
    Runnable afterNextOutsideExecute;

    HookedLoops(ManualEventLoops clock, String name) {
        this.clock = clock;
        this.name = name;
    }

    @Override
    public EventLoop create(String loopName, int priority, Consumer<Throwable> errorHandler) {
        EventLoop inner = clock.create(loopName, priority, errorHandler);
        if (!loopName.equals(name)) return inner;
        return new EventLoop() {
            boolean stuck;

            @Override
            public void execute(Runnable task) {
                if (stuck) return;
                boolean fromTest = !clock.inTask();
                Runnable before = beforeNextOutsideExecute;
                if (before != null && fromTest) {
                    beforeNextOutsideExecute = null;
                    before.run();
                }
                inner.execute(task);
                Runnable after = afterNextOutsideExecute;
                if (after != null && fromTest) {
                    afterNextOutsideExecute = null;
                    stuck = true;
                    after.run();
                }
            }

            @Override public Timer schedule(Runnable task, long delay, TimeUnit unit) { return inner.schedule(task, delay, unit); }
            @Override public Timer scheduleAtFixedRate(Runnable task, long initialDelay, long period, TimeUnit unit) {
                return inner.scheduleAtFixedRate(task, initialDelay, period, unit);
            }
            @Override public boolean inEventLoop() { return inner.inEventLoop(); }
            @Override public String name() { return inner.name(); }
            @Override public int priority() { return inner.priority(); }
            @Override public void close() { inner.close(); }
        };
    }
}
