package psr.consensus.part;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/** A part's callback loop never loses a callback: not when it closes, and not after. Real threads (TestEventLoops). */
class CallbackLoopTest {

    @Test
    void closingRunsWhatIsQueuedAndLaterCallbacksRunOnTheCaller() throws Exception {
        CallbackLoop callbacks = new CallbackLoop(new TestEventLoops().create("callbacks", 62, Throwable::printStackTrace));
        List<Integer> ran = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch release = new CountDownLatch(1);
        callbacks.execute(() -> {
            try {
                release.await(5, TimeUnit.SECONDS); // a slow listener holds the loop while more is queued
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ran.add(0);
        });
        for (int i = 1; i <= 100; i++) {
            int n = i;
            callbacks.execute(() -> ran.add(n));
        }
        Thread closer = new Thread(() -> callbacks.closeAfterDraining(5000));
        closer.start();
        Thread.sleep(50);
        release.countDown();
        closer.join(10_000);
        assertEquals(101, ran.size(), "everything queued before the close ran");
        for (int i = 0; i <= 100; i++) assertEquals(i, ran.get(i), "in order");

        // A caller's stage completed after the close still completes (on the completing thread).
        CompletableFuture<String> answer = new CompletableFuture<>();
        CompletableFuture<String> stage = answer.thenApplyAsync(s -> s + "!", callbacks);
        answer.complete("stopped");
        assertTrue(stage.isDone());
        assertEquals("stopped!", stage.get());
    }

    /**
     * A listener stuck longer than a stop waits for the callback loop (a slow broker) must not cost a caller its answer:
     * an OSAL loop drops what is queued when it closes, so the stage queued behind the stuck listener never completed.
     * The part's old delivery executor (shutdown, not shutdownNow) still ran it once the listener returned.
     */
    @Test
    void aStageQueuedBehindACallbackThatOutlastsTheCloseStillCompletes() throws Exception {
        CallbackLoop callbacks = new CallbackLoop(new TestEventLoops().create("callbacks", 62, Throwable::printStackTrace));
        CountDownLatch release = new CountDownLatch(1);
        callbacks.execute(() -> {
            while (true) { // like an OSAL loop's task, it is not interrupted; it returns when the broker answers
                try {
                    release.await(10, TimeUnit.SECONDS);
                    return;
                } catch (InterruptedException e) {
                    // go on waiting
                }
            }
        });
        CompletableFuture<String> answer = new CompletableFuture<>();
        CompletableFuture<String> stage = answer.thenApplyAsync(s -> s + "!", callbacks);
        answer.complete("stopped"); // the part answers its caller; the stage waits behind the stuck listener
        callbacks.closeAfterDraining(100);
        release.countDown();
        assertEquals("stopped!", stage.get(5, TimeUnit.SECONDS), "the caller's stage completes");
    }
}
