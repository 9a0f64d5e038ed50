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

/** Behaviour of one Linux event loop. Waits are bounded and generous; nothing asserts timing precision. */
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
    void tasksRunInSubmissionOrderOnTheLoopThread() throws Exception {
        ThreadEventLoop loop = loop("order");
        List<Integer> seen = new CopyOnWriteArrayList<>();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        for (int i = 0; i < 1000; i++) {
            int n = i;
            loop.execute(() -> {
                seen.add(n);
                threads.add(Thread.currentThread());
            });
        }
        loop.execute(done::countDown);
        assertTrue(done.await(WAIT_SECONDS, TimeUnit.SECONDS));
        for (int i = 0; i < 1000; i++) {
            assertEquals(i, seen.get(i));
            assertSame(loop.thread(), threads.get(i));
        }
        assertEquals("psr-loop-order", loop.thread().getName());
        assertFalse(loop.inEventLoop());
        assertEquals("order", loop.name());
        assertEquals(60, loop.priority());
    }

    @Test
    void inEventLoopIsTrueOnlyOnTheLoop() throws Exception {
        ThreadEventLoop loop = loop("in");
        BlockingQueue<Boolean> answer = new ArrayBlockingQueue<>(1);
        loop.execute(() -> answer.add(loop.inEventLoop()));
        assertEquals(Boolean.TRUE, answer.poll(WAIT_SECONDS, TimeUnit.SECONDS));
        assertFalse(loop.inEventLoop());
    }

    @Test
    void aThrowingTaskGoesToTheErrorHandlerAndTheLoopContinues() throws Exception {
        ThreadEventLoop loop = loop("throws");
        CountDownLatch after = new CountDownLatch(1);
        IllegalStateException boom = new IllegalStateException("boom");
        loop.execute(() -> {
            throw boom;
        });
        loop.execute(() -> {
            throw new AssertionError("an Error too");
        });
        loop.execute(after::countDown);
        assertTrue(after.await(WAIT_SECONDS, TimeUnit.SECONDS), "the loop ran the task after the failures");
        assertEquals(2, errors.size());
        assertSame(boom, errors.get(0));
        assertTrue(errors.get(1) instanceof AssertionError);
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
    void aOneShotTimerRunsOnceOnTheLoopAfterItsDelay() throws Exception {
        ThreadEventLoop loop = loop("timer");
        BlockingQueue<Long> ranAt = new ArrayBlockingQueue<>(2);
        AtomicBoolean onLoop = new AtomicBoolean();
        long start = System.nanoTime();
        loop.schedule(() -> {
            onLoop.set(loop.inEventLoop());
            ranAt.add(System.nanoTime());
        }, 50, TimeUnit.MILLISECONDS);
        Long at = ranAt.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(at);
        assertTrue(at - start >= TimeUnit.MILLISECONDS.toNanos(50), "not before its delay");
        assertTrue(onLoop.get());
        assertEquals(null, ranAt.poll(200, TimeUnit.MILLISECONDS), "ran once");
    }

    @Test
    void timersWithEqualDeadlinesRunInScheduleOrderAndBeforeLaterOnes() throws Exception {
        ThreadEventLoop loop = loop("timer-order");
        List<String> seen = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // Hold the loop so that every timer below is due when it looks again.
        loop.execute(() -> await(release));
        loop.schedule(() -> seen.add("late"), 30, TimeUnit.MILLISECONDS);
        loop.schedule(() -> seen.add("a"), 0, TimeUnit.MILLISECONDS);
        loop.schedule(() -> seen.add("b"), 0, TimeUnit.MILLISECONDS);
        loop.schedule(done::countDown, 40, TimeUnit.MILLISECONDS);
        Thread.sleep(60);
        release.countDown();
        assertTrue(done.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(List.of("a", "b", "late"), seen);
    }

    @Test
    void aCancelledTimerNeverRuns() throws Exception {
        ThreadEventLoop loop = loop("cancel");
        AtomicInteger runs = new AtomicInteger();
        EventLoop.Timer timer = loop.schedule(runs::incrementAndGet, 100, TimeUnit.MILLISECONDS);
        timer.cancel();
        timer.cancel();
        CountDownLatch later = new CountDownLatch(1);
        loop.schedule(later::countDown, 200, TimeUnit.MILLISECONDS);
        assertTrue(later.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(0, runs.get());
    }

    @Test
    void aPeriodicTimerRunsRepeatedlyUntilCancelledEvenFromItsOwnRun() throws Exception {
        ThreadEventLoop loop = loop("periodic");
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch five = new CountDownLatch(5);
        EventLoop.Timer[] self = new EventLoop.Timer[1];
        CountDownLatch scheduled = new CountDownLatch(1);
        loop.execute(() -> {
            self[0] = loop.scheduleAtFixedRate(() -> {
                if (runs.incrementAndGet() == 5) {
                    self[0].cancel();
                }
                five.countDown();
            }, 0, 5, TimeUnit.MILLISECONDS);
            scheduled.countDown();
        });
        assertTrue(scheduled.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(five.await(WAIT_SECONDS, TimeUnit.SECONDS));
        Thread.sleep(100);
        assertEquals(5, runs.get(), "no run after cancel");
    }

    @Test
    void aPeriodicTimerThatThrowsKeepsRunning() throws Exception {
        ThreadEventLoop loop = loop("periodic-throws");
        CountDownLatch three = new CountDownLatch(3);
        EventLoop.Timer timer = loop.scheduleAtFixedRate(() -> {
            three.countDown();
            throw new IllegalStateException("tick failed");
        }, 0, 5, TimeUnit.MILLISECONDS);
        assertTrue(three.await(WAIT_SECONDS, TimeUnit.SECONDS));
        // The third run counted down before it threw: its error reaches the handler a moment later.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (errors.size() < 3 && System.nanoTime() < deadline) Thread.sleep(1);
        timer.cancel();
        assertTrue(errors.size() >= 3, "errors reported: " + errors.size());
    }

    @Test
    void nextSlotSkipsMissedRunsInsteadOfBunchingThem() {
        assertEquals(110, ThreadEventLoop.nextSlot(100, 10, 100));
        assertEquals(110, ThreadEventLoop.nextSlot(100, 10, 105));
        assertEquals(120, ThreadEventLoop.nextSlot(100, 10, 110));
        assertEquals(200, ThreadEventLoop.nextSlot(100, 10, 195), "nine missed slots are skipped");
        assertEquals(110, ThreadEventLoop.nextSlot(100, 10, 50), "early (cannot happen) still moves forward");
        long nearWrap = Long.MAX_VALUE - 5;
        assertEquals(nearWrap + 20, ThreadEventLoop.nextSlot(nearWrap, 10, nearWrap + 15), "wrap-safe");
    }

    @Test
    void aPeriodicTimerBehindABlockedLoopRunsOnceNotInABurst() throws Exception {
        ThreadEventLoop loop = loop("skip");
        List<Long> runs = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        EventLoop.Timer timer = loop.scheduleAtFixedRate(() -> runs.add(System.nanoTime()), 0, 10,
                TimeUnit.MILLISECONDS);
        while (runs.isEmpty()) {
            Thread.sleep(1);
        }
        long blockedAt = System.nanoTime();
        loop.execute(() -> await(release));
        Thread.sleep(300); // 30 periods the loop cannot run.
        int before = runs.size();
        release.countDown();
        long released = System.nanoTime();
        Thread.sleep(25);
        timer.cancel();
        long after = runs.stream().filter(t -> t > released).count();
        // With bunching, the 30 missed runs would all arrive at once after the release.
        assertTrue(after <= 4, "runs within 25 ms of the release: " + after);
        assertTrue(runs.stream().filter(t -> t > blockedAt && t < released).count() <= before);
    }

    @Test
    void closeDropsQueuedWorkCancelsTimersAndIgnoresLaterWork() throws Exception {
        ThreadEventLoop loop = loop("close");
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean finished = new AtomicBoolean();
        AtomicInteger laterRuns = new AtomicInteger();
        loop.execute(() -> {
            started.countDown();
            sleep(200);
            finished.set(true);
        });
        // Queue work only once the first task runs: a timer that is due may run before tasks queued earlier, so
        // queued before the first task started it could have run first.
        assertTrue(started.await(WAIT_SECONDS, TimeUnit.SECONDS));
        loop.execute(laterRuns::incrementAndGet);
        loop.schedule(laterRuns::incrementAndGet, 1, TimeUnit.MILLISECONDS);
        loop.close();
        assertTrue(finished.get(), "close waited for the running task");
        assertFalse(loop.thread().isAlive());
        loop.execute(laterRuns::incrementAndGet);
        loop.schedule(laterRuns::incrementAndGet, 0, TimeUnit.MILLISECONDS).cancel();
        Thread.sleep(50);
        assertEquals(0, laterRuns.get());
        loop.close(); // Idempotent.
    }

    @Test
    void closeFromTheLoopsOwnTaskReturnsAndEndsTheLoop() throws Exception {
        ThreadEventLoop loop = loop("self-close");
        CountDownLatch closed = new CountDownLatch(1);
        loop.execute(() -> {
            loop.close();
            closed.countDown();
        });
        assertTrue(closed.await(WAIT_SECONDS, TimeUnit.SECONDS));
        loop.thread().join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        assertFalse(loop.thread().isAlive());
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
    void badArgumentsAreRefusedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ThreadEventLoop("x", 256, errors::add, warnings::add));
        assertTrue(e.getMessage().contains("priority 256 is out of range"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ThreadEventLoop("x", -1, errors::add,
                warnings::add));
        assertTrue(e.getMessage().contains("priority -1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ThreadEventLoop(" ", 1, errors::add,
                warnings::add));
        assertTrue(e.getMessage().contains("name"), e.getMessage());
        ThreadEventLoop loop = loop("period");
        e = assertThrows(IllegalArgumentException.class, () -> loop.scheduleAtFixedRate(() -> { }, 0, 0,
                TimeUnit.MILLISECONDS));
        assertTrue(e.getMessage().contains("must be positive"), e.getMessage());
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
