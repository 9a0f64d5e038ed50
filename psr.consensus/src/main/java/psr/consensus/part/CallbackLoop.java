package psr.consensus.part;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import psr.api.osal.EventLoop;

/**
 * Where a part calls code that is not its own (callers' stages, change listeners, state followers): an OSAL event
 * loop of its own, so that slow application code never holds up the replica, and calls come one at a time in the
 * order they were queued.
 *
 * <p>Unlike a bare event loop, which drops what is queued when it closes, this one never loses a callback: the
 * callbacks wait in its own queue (the loop is only told to run the next one), closing first lets the loop run
 * everything already queued (bounded), then runs on the closing thread what the loop did not get to (a callback stuck
 * on it outlasted the wait: then those run beside it), and anything queued after that runs at once on the caller's
 * thread. A caller's stage therefore always completes, even when the part stops under it. The lock is held only to
 * enqueue and dequeue (which never block).
 */
final class CallbackLoop implements Executor {
    private final EventLoop loop;
    private final Consumer<Throwable> onError;
    private final ArrayDeque<Runnable> queued = new ArrayDeque<>(); // guarded by this
    private boolean closing; // guarded by this
    /** The loop task that runs the oldest queued callback; one object for all, so queuing allocates nothing more. */
    private final Runnable runNext = this::runNext;

    CallbackLoop(EventLoop loop) {
        this(loop, Throwable::printStackTrace);
    }

    /** @param onError told what a callback run off the loop (while closing) throws, as the loop's own handler would be */
    CallbackLoop(EventLoop loop, Consumer<Throwable> onError) {
        this.loop = loop;
        this.onError = onError;
    }

    @Override
    public void execute(Runnable callback) {
        synchronized (this) {
            if (!closing) {
                queued.addLast(callback);
                loop.execute(runNext);
                return;
            }
        }
        callback.run();
    }

    /** One loop task per queued callback, in the same order: runs the oldest one not yet run. */
    private void runNext() {
        Runnable next;
        synchronized (this) {
            next = queued.pollFirst();
        }
        if (next != null) next.run();
    }

    /**
     * Runs what is queued (waiting at most {@code timeoutMs} for the loop), then closes the loop and runs here what it
     * did not get to. Idempotent. Must not run on the loop.
     */
    void closeAfterDraining(long timeoutMs) {
        synchronized (this) {
            if (closing) return;
            closing = true;
        }
        CompletableFuture<Void> drained = new CompletableFuture<>();
        loop.execute(() -> drained.complete(null));
        try {
            drained.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // a callback is stuck: close() below bounds the wait for it, and what is queued behind it runs here
        }
        loop.close();
        while (true) {
            Runnable next;
            synchronized (this) {
                next = queued.pollFirst();
            }
            if (next == null) return;
            try {
                next.run();
            } catch (RuntimeException | Error e) {
                onError.accept(e);
            }
        }
    }
}
