package psr.consensus.part;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;

/** Event loops on plain JDK single-thread schedulers, for tests that run parts without an OSAL bundle. */
final class TestEventLoops implements EventLoops {
    @Override
    public EventLoop create(String name, int priority, Consumer<Throwable> errorHandler) {
        ScheduledThreadPoolExecutor ex = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
        Thread[] thread = new Thread[1];
        ex.execute(() -> thread[0] = Thread.currentThread());
        return new EventLoop() {
            Runnable guarded(Runnable task) {
                return () -> {
                    try {
                        task.run();
                    } catch (Throwable t) {
                        errorHandler.accept(t);
                    }
                };
            }

            @Override public void execute(Runnable task) {
                if (!ex.isShutdown()) ex.execute(guarded(task));
            }

            @Override public Timer schedule(Runnable task, long delay, TimeUnit unit) {
                var f = ex.schedule(guarded(task), delay, unit);
                return () -> f.cancel(false);
            }

            @Override public Timer scheduleAtFixedRate(Runnable task, long initialDelay, long period, TimeUnit unit) {
                var f = ex.scheduleAtFixedRate(guarded(task), initialDelay, period, unit);
                return () -> f.cancel(false);
            }

            @Override public boolean inEventLoop() { return Thread.currentThread() == thread[0]; }
            @Override public String name() { return name; }
            @Override public int priority() { return priority; }

            @Override public void close() {
                ex.shutdownNow();
                try {
                    ex.awaitTermination(2, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }
}
