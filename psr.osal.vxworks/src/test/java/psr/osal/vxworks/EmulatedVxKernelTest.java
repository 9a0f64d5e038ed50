package psr.osal.vxworks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The emulation itself behaves like the kernel the backend is written for. */
class EmulatedVxKernelTest {

    @TempDir
    Path temp;

    private EmulatedVxKernel kernel(int rate, long startTick) throws IOException {
        return EmulatedVxKernel.withDefaults(rate, startTick, temp);
    }

    @Test
    void theTickCountAdvancesInWholeTicksAtTheClockRate() throws Exception {
        EmulatedVxKernel kernel = kernel(60, 0);
        assertEquals(60, kernel.sysClkRateGet());
        long first = kernel.tick64Get();
        Thread.sleep(200);
        long elapsed = kernel.tick64Get() - first;
        assertTrue(elapsed >= 11 && elapsed <= 60, "about 12 ticks of 16.7 ms in 200 ms, got " + elapsed);
        // Within one tick the count does not move.
        long a = kernel.tick64Get();
        long b = kernel.tick64Get();
        assertTrue(b - a <= 1);
    }

    @Test
    void theTickCountWrapsAsAnUnsigned64BitCounter() throws Exception {
        EmulatedVxKernel kernel = kernel(1000, -5); // 2^64 - 5
        long before = kernel.tick64Get();
        Thread.sleep(30);
        long after = kernel.tick64Get();
        assertTrue(Long.compareUnsigned(after, before) < 0, "wrapped past 2^64");
        assertTrue(VxKernel.ticksBetween(before, after) >= 25, "difference is still right across the wrap");
        assertTrue(VxKernel.reached(after, before + 10));
    }

    @Test
    void aPrioritySemaphoreGrantsTheMostUrgentWaiterFirst() throws Exception {
        EmulatedVxKernel kernel = kernel(1000, 0);
        long semaphore = kernel.semBCreate(VxKernel.SEM_Q_PRIORITY, false);
        List<Integer> order = new CopyOnWriteArrayList<>();
        CountDownLatch waiting = new CountDownLatch(3);
        CountDownLatch finished = new CountDownLatch(3);
        for (int priority : new int[] {200, 50, 100}) {
            kernel.taskSpawn("t" + priority, priority, 4096, () -> {
                waiting.countDown();
                try {
                    kernel.semTake(semaphore, VxKernel.WAIT_FOREVER);
                    order.add(priority);
                    kernel.semGive(semaphore);
                } catch (VxException e) {
                    order.add(-1);
                }
                finished.countDown();
            });
            Thread.sleep(30); // Let each one block before the next arrives.
        }
        assertTrue(waiting.await(5, TimeUnit.SECONDS));
        Thread.sleep(30);
        kernel.semGive(semaphore);
        assertTrue(finished.await(5, TimeUnit.SECONDS));
        assertEquals(List.of(50, 100, 200), order);
    }

    @Test
    void anInversionSafeMutexRaisesItsOwnerToItsMostUrgentWaiter() throws Exception {
        EmulatedVxKernel kernel = kernel(1000, 0);
        long mutex = kernel.semMCreate(VxKernel.SEM_Q_PRIORITY | VxKernel.SEM_INVERSION_SAFE);
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(2);
        long[] ids = new long[1];
        int[] priorityAfter = new int[1];
        ids[0] = kernel.taskSpawn("tLow", 200, 4096, () -> {
            try {
                kernel.semTake(mutex, VxKernel.WAIT_FOREVER);
                held.countDown();
                release.await(5, TimeUnit.SECONDS);
                kernel.semGive(mutex);
                priorityAfter[0] = kernel.taskPriorityGet(0);
            } catch (Exception e) {
                priorityAfter[0] = -1;
            }
            done.countDown();
        });
        assertTrue(held.await(5, TimeUnit.SECONDS));
        assertEquals(200, kernel.taskPriorityGet(ids[0]));
        kernel.taskSpawn("tHigh", 20, 4096, () -> {
            try {
                kernel.semTake(mutex, VxKernel.WAIT_FOREVER);
                kernel.semGive(mutex);
            } catch (VxException e) {
                // Checked below through the low task's priority.
            }
            done.countDown();
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (kernel.taskPriorityGet(ids[0]) != 20 && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(20, kernel.taskPriorityGet(ids[0]), "the owner inherits the waiter's priority");
        release.countDown();
        assertTrue(done.await(5, TimeUnit.SECONDS));
        assertEquals(200, priorityAfter[0], "and drops back when it gives the mutex");
    }

    @Test
    void aMutexIsRecursiveAndOnlyItsOwnerMayGiveIt() throws Exception {
        EmulatedVxKernel kernel = kernel(1000, 0);
        long mutex = kernel.semMCreate(VxKernel.SEM_Q_PRIORITY | VxKernel.SEM_INVERSION_SAFE);
        assertTrue(kernel.semTake(mutex, VxKernel.NO_WAIT));
        assertTrue(kernel.semTake(mutex, VxKernel.NO_WAIT), "recursive");
        Throwable[] fromOther = new Throwable[1];
        Thread other = new Thread(() -> {
            try {
                kernel.semGive(mutex);
            } catch (VxException e) {
                fromOther[0] = e;
            }
        });
        other.start();
        other.join();
        assertTrue(fromOther[0] instanceof VxException && fromOther[0].getMessage().contains("not owned"));
        kernel.semGive(mutex);
        kernel.semGive(mutex);
        assertThrows(VxException.class, () -> kernel.semMCreate(VxKernel.SEM_INVERSION_SAFE),
                "inversion safety needs a priority queue");
    }

    @Test
    void semTakeTimesOutInTicks() throws Exception {
        EmulatedVxKernel kernel = kernel(100, 0);
        long semaphore = kernel.semBCreate(VxKernel.SEM_Q_FIFO, false);
        long start = System.nanoTime();
        assertFalse(kernel.semTake(semaphore, 5));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(45), "5 ticks of 10 ms");
        assertFalse(kernel.semTake(semaphore, VxKernel.NO_WAIT));
    }

    @Test
    void hrfsKeepsOnlyWhatWasCommitted() throws Exception {
        EmulatedVxKernel kernel = kernel(1000, 0);
        kernel.mkdir("/ata0:1/d");
        int fd = kernel.open("/ata0:1/d/f", VxKernel.O_WRONLY | VxKernel.O_CREAT, 0644);
        kernel.write(fd, bytes("one"), 0, 3);
        kernel.ioctl(fd, VxKernel.IOCTL_FIOSYNC, 0);
        kernel.powerLoss();
        assertThrows(VxException.class, () -> kernel.open("/ata0:1/d/f", VxKernel.O_RDONLY, 0),
                "FIOSYNC alone is not a transaction point");

        kernel.mkdir("/ata0:1/d");
        fd = kernel.open("/ata0:1/d/f", VxKernel.O_WRONLY | VxKernel.O_CREAT, 0644);
        kernel.write(fd, bytes("one"), 0, 3);
        kernel.ioctl(fd, VxKernel.IOCTL_FIOCOMMITFS, 0);
        kernel.write(fd, bytes("two"), 0, 3);
        kernel.powerLoss();
        assertEquals("one", readAll(kernel, "/ata0:1/d/f"));
    }

    @Test
    void dosFsKeepsFlushedDataAndEntriesAndRefusesCommitAndReplacingRename() throws Exception {
        EmulatedVxKernel kernel = kernel(1000, 0);
        kernel.mkdir("/sd0:1/d");
        int fd = kernel.open("/sd0:1/d/f", VxKernel.O_WRONLY | VxKernel.O_CREAT, 0644);
        kernel.write(fd, bytes("one"), 0, 3);
        VxException e = assertThrows(VxException.class, () -> kernel.ioctl(fd, VxKernel.IOCTL_FIOCOMMITFS, 0));
        assertEquals(VxKernel.ENOTSUP, e.errno());
        kernel.ioctl(fd, VxKernel.IOCTL_FIOFLUSH, 0);
        kernel.write(fd, bytes("two"), 0, 3);
        int other = kernel.open("/sd0:1/d/g", VxKernel.O_WRONLY | VxKernel.O_CREAT, 0644);
        kernel.write(other, bytes("never flushed"), 0, 13);
        kernel.ioctl(fd, VxKernel.IOCTL_FIOFLUSH, 0);
        e = assertThrows(VxException.class, () -> kernel.rename("/sd0:1/d/g", "/sd0:1/d/f"));
        assertEquals(VxKernel.EEXIST, e.errno());
        kernel.powerLoss();
        assertEquals("onetwo", readAll(kernel, "/sd0:1/d/f"));
        assertEquals("", readAll(kernel, "/sd0:1/d/g"), "an entry whose data was never flushed survives empty");
        assertEquals(0, kernel.openFileCount(), "power loss closes every descriptor");
    }

    @Test
    void unknownDevicesAndInjectedFaultsFailWithTheirErrno() throws Exception {
        EmulatedVxKernel kernel = kernel(1000, 0);
        VxException e = assertThrows(VxException.class, () -> kernel.open("/nfs0/x", VxKernel.O_RDONLY, 0));
        assertEquals(VxKernel.ENODEV, e.errno());
        assertTrue(e.getMessage().contains("/ata0:1"), e.getMessage());
        kernel.failNext("mkdir", VxKernel.ENOSPC);
        e = assertThrows(VxException.class, () -> kernel.mkdir("/ata0:1/x"));
        assertEquals("mkdir: errno 28 (0x1c, injected by the emulation)", e.getMessage());
        kernel.mkdir("/ata0:1/x"); // Once only.
        assertArrayEquals(new String[] {"x"}, kernel.readdir("/ata0:1"));
        assertArrayEquals(new String[] {"gei0", "gei1", "lo0"}, kernel.ifNames());
        assertArrayEquals(new String[0], kernel.ifAddresses("gei1"), "a down interface has no address");
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static String readAll(VxKernel kernel, String path) throws VxException {
        int fd = kernel.open(path, VxKernel.O_RDONLY, 0);
        byte[] buffer = new byte[1024];
        int n = kernel.read(fd, buffer, 0, buffer.length);
        kernel.close(fd);
        return new String(buffer, 0, n, StandardCharsets.UTF_8);
    }
}
