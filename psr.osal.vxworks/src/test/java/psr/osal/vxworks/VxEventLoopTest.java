package psr.osal.vxworks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import psr.api.osal.EventLoop;

/** VxWorks event loops on the host emulation: order, ticks, priorities, and every kernel failure they can meet. */
class VxEventLoopTest {

    static final long WAIT_SECONDS = 10;

    @TempDir
    Path temp;

    private EmulatedVxKernel kernel;
    private VxEventLoops loops;
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final List<String> warnings = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        kernel = EmulatedVxKernel.withDefaults(100, -50, temp); // 10 ms ticks, wrapping during the test.
        loops = new VxEventLoops(kernel, warnings::add);
    }

    @AfterEach
    void stop() {
        loops.close();
    }

    @Test
    void tasksRunInOrderOnOneTaskAtThePsrPriority() throws Exception {
        VxEventLoop loop = (VxEventLoop) loops.create("order", 60, errors::add);
        assertEquals(60, kernel.taskPriorityGet(loop.taskId()), "PSR priority is the VxWorks priority");
        List<Integer> seen = new CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        for (int i = 0; i < 500; i++) {
            int n = i;
            loop.execute(() -> seen.add(n));
        }
        loop.execute(done::countDown);
        assertTrue(done.await(WAIT_SECONDS, TimeUnit.SECONDS));
        for (int i = 0; i < 500; i++) {
            assertEquals(i, seen.get(i));
        }
        BlockingQueue<Boolean> inLoop = new ArrayBlockingQueue<>(1);
        loop.execute(() -> inLoop.add(loop.inEventLoop()));
        assertEquals(Boolean.TRUE, inLoop.poll(WAIT_SECONDS, TimeUnit.SECONDS));
        assertFalse(loop.inEventLoop());
    }

    @Test
    void aThrowingTaskIsReportedAndTheLoopContinues() throws Exception {
        EventLoop loop = loops.create("throws", 60, errors::add);
        CountDownLatch after = new CountDownLatch(1);
        loop.execute(() -> {
            throw new IllegalStateException("boom");
        });
        loop.execute(after::countDown);
        assertTrue(after.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals("boom", errors.get(0).getMessage());
    }

    @Test
    void aTimerNeverRunsEarlyAndRunsAtTickGranularity() throws Exception {
        EventLoop loop = loops.create("timer", 60, errors::add);
        BlockingQueue<Long> ranAt = new ArrayBlockingQueue<>(1);
        long start = System.nanoTime();
        loop.schedule(() -> ranAt.add(System.nanoTime()), 25, TimeUnit.MILLISECONDS);
        Long at = ranAt.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertNotNull(at);
        assertTrue(at - start >= TimeUnit.MILLISECONDS.toNanos(25), "ran after " + (at - start) + " ns");
    }

    @Test
    void aPeriodicTimerSkipsMissedSlotsAndStopsWhenCancelled() throws Exception {
        EventLoop loop = loops.create("periodic", 60, errors::add);
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch three = new CountDownLatch(3);
        EventLoop.Timer timer = loop.scheduleAtFixedRate(() -> {
            runs.incrementAndGet();
            three.countDown();
        }, 0, 10, TimeUnit.MILLISECONDS);
        assertTrue(three.await(WAIT_SECONDS, TimeUnit.SECONDS));
        CountDownLatch release = new CountDownLatch(1);
        loop.execute(() -> await(release));
        Thread.sleep(200); // 20 slots the loop cannot run.
        int before = runs.get();
        release.countDown();
        Thread.sleep(15);
        timer.cancel();
        assertTrue(runs.get() - before <= 3, "no burst after the loop was blocked: " + (runs.get() - before));
        int atCancel = runs.get();
        Thread.sleep(50);
        assertEquals(atCancel, runs.get());
    }

    @Test
    void closeWaitsForTheRunningTaskDropsTheRestAndFreesTheSemaphores() throws Exception {
        int semaphores = kernel.semaphoreCount();
        EventLoop loop = loops.create("close", 60, errors::add);
        assertEquals(semaphores + 3, kernel.semaphoreCount());
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger later = new AtomicInteger();
        boolean[] finished = new boolean[1];
        loop.execute(() -> {
            started.countDown();
            sleep(100);
            finished[0] = true;
        });
        loop.execute(later::incrementAndGet);
        assertTrue(started.await(WAIT_SECONDS, TimeUnit.SECONDS));
        loop.close();
        assertTrue(finished[0]);
        loop.execute(later::incrementAndGet);
        Thread.sleep(30);
        assertEquals(0, later.get());
        assertEquals(semaphores, kernel.semaphoreCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {"semMCreate", "semBCreate", "taskSpawn"})
    void aKernelFailureAtCreationIsNamedAndLeaksNothing(String routine) throws Exception {
        int semaphores = kernel.semaphoreCount();
        kernel.failNext(routine, VxKernel.ENOMEM);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> loops.create("fails", 60, errors::add));
        assertEquals("event loop 'fails' not created: " + routine + ": errno 12 (0xc, injected by the emulation)",
                e.getMessage());
        assertEquals(semaphores, kernel.semaphoreCount(), "semaphores created before the failure are deleted");
        CountDownLatch works = new CountDownLatch(1);
        loops.create("works", 60, errors::add).execute(works::countDown);
        assertTrue(works.await(WAIT_SECONDS, TimeUnit.SECONDS));
    }

    @Test
    void aRefusedSemTakeInExecuteIsThrownAndTheQueueStaysConsistent() throws Exception {
        EventLoop loop = loops.create("take", 60, errors::add);
        List<Integer> seen = new CopyOnWriteArrayList<>();
        CountDownLatch idle = new CountDownLatch(1);
        loop.execute(idle::countDown);
        assertTrue(idle.await(WAIT_SECONDS, TimeUnit.SECONDS));
        loop.execute(() -> seen.add(1));
        kernel.failNext("semTake", VxKernel.EINVAL, Thread.currentThread());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> loop.execute(() -> seen.add(99)));
        assertTrue(e.getMessage().contains("execute refused by the kernel: semTake: errno 22"), e.getMessage());
        CountDownLatch done = new CountDownLatch(1);
        loop.execute(() -> seen.add(2));
        loop.execute(done::countDown);
        assertTrue(done.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertEquals(List.of(1, 2), seen, "the refused task was not queued; the others ran in order");
    }

    @Test
    void aRefusedSemGiveIsRetriedAndNothingIsLost() throws Exception {
        EventLoop loop = loops.create("give", 60, errors::add);
        CountDownLatch idle = new CountDownLatch(1);
        loop.execute(idle::countDown);
        assertTrue(idle.await(WAIT_SECONDS, TimeUnit.SECONDS));
        Thread.sleep(30);
        kernel.failNext("semGive", VxKernel.EINVAL);
        CountDownLatch ran = new CountDownLatch(1);
        loop.execute(ran::countDown);
        assertTrue(ran.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(warnings.stream().anyMatch(w -> w.contains("failed once") && w.contains("the retry worked")),
                warnings.toString());
    }

    @Test
    void aRefusedWaitInsideTheLoopIsReportedAndTheLoopRecovers() throws Exception {
        EventLoop loop = loops.create("inner", 60, errors::add);
        CountDownLatch idle = new CountDownLatch(1);
        loop.execute(idle::countDown);
        assertTrue(idle.await(WAIT_SECONDS, TimeUnit.SECONDS));
        // The loop task's next semTake (of its queue mutex, when the task below wakes it) fails.
        kernel.failNext("semTake", VxKernel.EIO, ((VxEventLoop) loop).thread());
        CountDownLatch ran = new CountDownLatch(1);
        loop.execute(ran::countDown);
        assertTrue(ran.await(WAIT_SECONDS, TimeUnit.SECONDS));
        assertTrue(errors.stream().anyMatch(t -> t.getMessage().contains("semTake: errno 5")
                && t.getMessage().contains("retrying after one tick")), errors.toString());
    }

    @Test
    void theServiceClosesLoopsLeftOpen() throws Exception {
        List<VxEventLoop> created = new ArrayList<>();
        created.add((VxEventLoop) loops.create("a", 10, errors::add));
        created.add((VxEventLoop) loops.create("b", 250, errors::add));
        assertEquals(250, kernel.taskPriorityGet(created.get(1).taskId()));
        loops.close();
        assertTrue(created.stream().allMatch(VxEventLoop::isClosed));
        assertThrows(IllegalStateException.class, () -> loops.create("c", 1, errors::add));
        assertThrows(IllegalArgumentException.class, () -> new VxEventLoops(kernel, warnings::add)
                .create("bad", 256, errors::add));
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
