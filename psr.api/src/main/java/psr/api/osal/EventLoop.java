package psr.api.osal;

import java.util.concurrent.TimeUnit;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One task of the platform that runs submitted work one piece at a time, in submission order, at a fixed
 * priority. Each replica group (part) runs on its own event loop, so its core is only ever touched by one
 * thread and needs no locks.
 *
 * <p><b>Blocking.</b> {@link #execute}, {@link #schedule}, {@link #scheduleAtFixedRate} and
 * {@link #cancel} never block and may be called from any thread. Work running on the loop may block
 * (for example on a storage sync) but delays everything queued behind it.
 *
 * <p><b>Failures.</b> A task that throws does not stop the loop: the loop reports the throwable to the
 * handler given at creation and goes on with the next task.
 */
@ProviderType
public interface EventLoop extends AutoCloseable {

    /** Queues {@code task}; runs it after everything queued before it. Ignored once the loop is closed. */
    void execute(Runnable task);

    /** Runs {@code task} on the loop once, after at least {@code delay}. */
    Timer schedule(Runnable task, long delay, TimeUnit unit);

    /**
     * Runs {@code task} on the loop every {@code period} after {@code initialDelay}. If the loop falls behind,
     * runs are skipped rather than bunched up.
     */
    Timer scheduleAtFixedRate(Runnable task, long initialDelay, long period, TimeUnit unit);

    /** True when called from this loop's own task. */
    boolean inEventLoop();

    /** The name given at creation. */
    String name();

    /** The PSR priority given at creation: 0 is the most urgent, 255 the least. */
    int priority();

    /**
     * Stops the loop: no new work is accepted, queued work is dropped, timers are cancelled, and the call
     * waits (bounded, at most a few seconds) for the piece of work running now to finish.
     */
    @Override
    void close();

    /** A one-shot or periodic timer. */
    @ProviderType
    interface Timer {
        /** Stops future runs; a run already started completes. Idempotent. */
        void cancel();
    }
}
