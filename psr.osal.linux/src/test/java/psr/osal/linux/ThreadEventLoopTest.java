package psr.osal.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import psr.api.osal.EventLoop;

/**
 * What only the Linux event loop does (priority mapping, the service's own bookkeeping); what every backend does is
 * in {@code EventLoopsContract}, run here by {@link ThreadEventLoopsContractTest}.
 */
class ThreadEventLoopTest {

    static final long WAIT_SECONDS = 10;

    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final List<String> warnings = new CopyOnWriteArrayList<>();
    private final List<ThreadEventLoop> loops = new ArrayList<>();

    @AfterEach
    void closeLoops() {
        loops.forEach(ThreadEventLoop::close);
    }

    private ThreadEventLoop loop(String name) {
        ThreadEventLoop loop = new ThreadEventLoop(name, 60, errors::add, warnings::add);
        loops.add(loop);
        return loop;
    }

    @Test
    void aThrowingErrorHandlerIsReportedAndTheLoopContinues() throws Exception {
        ThreadEventLoop loop = new ThreadEventLoop("bad-handler", 60, t -> {
            throw new IllegalStateException("handler broke");
        }, warnings::add);
        loops.add(loop);
        CountDownLatch after = new CountDownLatch(1);
        loop.execute(() -> {
            throw new RuntimeException("task broke");
        });
        loop.execute(after::countDown);
        assertTrue(after.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).contains("handler broke") && warnings.get(0).contains("task broke"),
                warnings.get(0));
    }

    @Test
    void psrPrioritiesMapOntoJavaPrioritiesMostUrgentFirst() {
        assertEquals(Thread.MAX_PRIORITY, ThreadEventLoop.javaPriority(0));
        assertEquals(Thread.MIN_PRIORITY, ThreadEventLoop.javaPriority(255));
        assertEquals(8, ThreadEventLoop.javaPriority(60));
        for (int p = 1; p <= 255; p++) {
            assertTrue(ThreadEventLoop.javaPriority(p) <= ThreadEventLoop.javaPriority(p - 1), "monotonic at " + p);
        }
        ThreadEventLoop loop = new ThreadEventLoop("urgent", 0, errors::add, warnings::add);
        loops.add(loop);
        assertEquals(Thread.MAX_PRIORITY, loop.thread().getPriority());
    }

    @Test
    void theServiceCreatesLoopsAndClosesThoseLeftOpenAtDeactivation() throws Exception {
        TestLogger log = new TestLogger();
        ThreadEventLoops service = new ThreadEventLoops(log.logger());
        EventLoop a = service.create("a", 10, errors::add);
        EventLoop b = service.create("b", 200, errors::add);
        b.close();
        CountDownLatch ran = new CountDownLatch(1);
        a.execute(ran::countDown);
        assertTrue(ran.await(WAIT_SECONDS, TimeUnit.SECONDS));
        service.deactivate();
        assertTrue(((ThreadEventLoop) a).isClosed());
        assertFalse(((ThreadEventLoop) a).thread().isAlive());
        assertTrue(log.lines.contains("info: closing event loop '{}' left open at deactivation"), log.lines.toString());
        assertThrows(IllegalStateException.class, () -> service.create("c", 10, errors::add));
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
