package psr.osal.common;

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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;

/**
 * What every {@link EventLoops} backend promises, run by each backend against its own service
 * ({@code ThreadEventLoopsContractTest} on Linux, {@code VxEventLoopsContractTest} on the emulated VxWorks kernel).
 * Waits are bounded and generous; nothing asserts timing precision.
 */
public abstract class EventLoopsContract {

    protected static final long WAIT_SECONDS = 10;

    protected final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final List<EventLoop> loops = new ArrayList<>();
    private EventLoops service;

    /** The backend's service, fresh for each test. */
    protected abstract EventLoops startService() throws Exception;

    /** Deactivates the service (closing loops left open). */
    protected abstract void stopService(EventLoops service);

    /** The thread (or emulated task) that runs {@code loop}'s work. */
    protected abstract Thread threadOf(EventLoop loop);

    @BeforeEach
    void startTheService() throws Exception {
        service = startService();
    }

    @AfterEach
    void closeLoops() {
        loops.forEach(EventLoop::close);
        stopService(service);
    }

    private EventLoop loop(String name) {
        EventLoop loop = service.create(name, 60, errors::add);
        loops.add(loop);
        return loop;
    }

    @Test
    void badArgumentsAreRefusedWithTheSameReasonOnEveryBackend() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> service.create("x", 256, errors::add));
        assertEquals("event loop priority 256 is out of range: expected 0 (most urgent) to 255 (least urgent)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> service.create("x", -1, errors::add));
        assertTrue(e.getMessage().startsWith("event loop priority -1 is out of range"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> service.create(" ", 1, errors::add));
        assertEquals("event loop name ' ' is empty: give each loop a name for diagnostics", e.getMessage());
        EventLoop loop = loop("period");
        e = assertThrows(IllegalArgumentException.class, () -> loop.scheduleAtFixedRate(() -> { }, 0, 0, TimeUnit.MILLISECONDS));
        assertEquals("period 0 MILLISECONDS of a periodic timer on loop 'period' must be positive", e.getMessage());
    }

    @Test
    void aDueTimerRunsBeforeTasksQueuedEarlier() throws Exception {
        EventLoop loop = loop("timer-first");
        List<String> seen = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(2);
        loop.execute(() -> await(release));
        loop.execute(() -> {
            seen.add("task");
            done.countDown();
        });
        loop.schedule(() -> {
            seen.add("timer");
            done.countDown();
        }, 0, TimeUnit.MILLISECONDS);
        Thread.sleep(60); // the timer is due (on a tick clock too) while the loop is held
        release.countDown();
        assertTrue(done.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(List.of("timer", "task"), seen);
    }

    @Test
    void tasksRunInSubmissionOrderOnTheLoopThread() throws Exception {
        EventLoop loop = loop("order");
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
            assertSame(threadOf(loop), threads.get(i));
        }
        assertFalse(loop.inEventLoop());
        assertEquals("order", loop.name());
        assertEquals(60, loop.priority());
    }

    @Test
    void inEventLoopIsTrueOnlyOnTheLoop() throws Exception {
        EventLoop loop = loop("in");
        BlockingQueue<Boolean> answer = new ArrayBlockingQueue<>(1);
        loop.execute(() -> answer.add(loop.inEventLoop()));
        assertEquals(Boolean.TRUE, answer.poll(WAIT_SECONDS, TimeUnit.SECONDS));
        assertFalse(loop.inEventLoop());
    }

    @Test
    void aThrowingTaskGoesToTheErrorHandlerAndTheLoopContinues() throws Exception {
        EventLoop loop = loop("throws");
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
    void aOneShotTimerRunsOnceOnTheLoopAfterItsDelay() throws Exception {
        EventLoop loop = loop("timer");
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
        EventLoop loop = loop("timer-order");
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
        EventLoop loop = loop("cancel");
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
        EventLoop loop = loop("periodic");
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
        EventLoop loop = loop("periodic-throws");
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
    void aPeriodicTimerBehindABlockedLoopRunsOnceNotInABurst() throws Exception {
        EventLoop loop = loop("skip");
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
        EventLoop loop = loop("close");
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
        // The loop's thread ends right after it signalled close (on VxWorks the task returns after giving its done
        // semaphore), so it may still be alive for a moment when close returns; it must not be for long.
        threadOf(loop).join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        assertFalse(threadOf(loop).isAlive());
        loop.execute(laterRuns::incrementAndGet);
        loop.schedule(laterRuns::incrementAndGet, 0, TimeUnit.MILLISECONDS).cancel();
        Thread.sleep(50);
        assertEquals(0, laterRuns.get());
        loop.close(); // Idempotent.
    }

    @Test
    void closeFromTheLoopsOwnTaskReturnsAndEndsTheLoop() throws Exception {
        EventLoop loop = loop("self-close");
        CountDownLatch closed = new CountDownLatch(1);
        loop.execute(() -> {
            loop.close();
            closed.countDown();
        });
        assertTrue(closed.await(WAIT_SECONDS, TimeUnit.SECONDS));
        threadOf(loop).join(TimeUnit.SECONDS.toMillis(WAIT_SECONDS));
        assertFalse(threadOf(loop).isAlive());
    }

    protected static void await(CountDownLatch latch) {
        try {
            latch.await(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    protected static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
