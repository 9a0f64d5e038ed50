package psr.consensus.part;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

import psr.api.osal.EventLoop;

/**
 * Where a part calls code that is not its own (callers' stages, change listeners, state followers): an OSAL event
 * loop of its own, so that slow application code never holds up the replica, and calls come one at a time in the
 * order they were queued.
 *
 * <p>Unlike a bare event loop, which drops what is queued when it closes, this one never loses a callback: closing
 * first runs everything already queued (bounded), and anything queued after that runs at once on the caller's
 * thread. A caller's stage therefore always completes, even when the part stops under it. The lock is held only to
 * enqueue (which never blocks).
 */
final class CallbackLoop implements Executor {
    private final EventLoop loop;
    private boolean closing; // guarded by this

    CallbackLoop(EventLoop loop) {
        this.loop = loop;
    }

    @Override
    public void execute(Runnable callback) {
        synchronized (this) {
            if (!closing) {
                loop.execute(callback);
                return;
            }
        }
        callback.run();
    }

    /** Runs what is queued (waiting at most {@code timeoutMs}), then closes the loop. Idempotent. Must not run on the loop. */
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
            // a callback is stuck: close() below bounds the wait for it
        }
        loop.close();
    }
}
