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
}
