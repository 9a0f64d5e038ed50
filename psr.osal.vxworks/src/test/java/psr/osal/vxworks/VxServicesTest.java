package psr.osal.vxworks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.ComponentException;

import psr.api.osal.Watchdogs.Watchdog;

/** Network interfaces, watchdogs and the choice of kernel binding. */
class VxServicesTest {

    @TempDir
    Path temp;

    @Test
    void interfacesAreFoundByTheirVxWorksNames() throws Exception {
        EmulatedVxKernel kernel = EmulatedVxKernel.withDefaults(60, 0, temp);
        VxNetworkInterfaces interfaces = new VxNetworkInterfaces(kernel);
        assertEquals(List.of("gei0", "gei1", "lo0"), interfaces.names());
        assertEquals(List.of(InetAddress.getByName("192.168.10.11")), interfaces.addresses("gei0"));
        assertTrue(interfaces.isUp("gei0"));
        assertFalse(interfaces.isUp("gei1"));
        assertEquals(List.of(), interfaces.addresses("gei1"));
        assertFalse(interfaces.isUp("fei9"));
        IOException e = assertThrows(IOException.class, () -> interfaces.addresses("fei9"));
        assertEquals("no network interface 'fei9' on this target; present: [gei0, gei1, lo0]", e.getMessage());
        kernel.failNext("ifAddresses", VxKernel.EIO);
        e = assertThrows(IOException.class, () -> interfaces.addresses("gei0"));
        assertTrue(e.getMessage().startsWith("looking up network interface 'gei0' failed: ifAddresses: errno 5"));
        kernel.failNext("ifNames", VxKernel.ENOMEM);
        assertThrows(IOException.class, interfaces::names);
        kernel.failNext("ifUp", VxKernel.EIO);
        assertThrows(IOException.class, () -> interfaces.isUp("gei0"));
    }

    @Test
    void aWatchdogFiresInTicksOnceAndAgainAfterAKick() throws Exception {
        EmulatedVxKernel kernel = EmulatedVxKernel.withDefaults(100, -30, temp);
        List<String> log = new CopyOnWriteArrayList<>();
        VxWatchdogs watchdogs = new VxWatchdogs(kernel, (message, failure) -> log.add(message));
        try {
            Semaphore fired = new Semaphore(0);
            long start = System.nanoTime();
            Watchdog watchdog = watchdogs.start("loop", 50, TimeUnit.MILLISECONDS, fired::release);
            assertTrue(fired.tryAcquire(10, TimeUnit.SECONDS));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50), "never early");
            assertTrue(watchdog.expired());
            assertFalse(fired.tryAcquire(150, TimeUnit.MILLISECONDS), "once per expiry");
            watchdog.kick();
            assertFalse(watchdog.expired());
            assertTrue(fired.tryAcquire(10, TimeUnit.SECONDS), "re-armed by the kick");
            assertEquals(2, watchdog.expiries());
            assertTrue(log.stream().anyMatch(m -> m.startsWith("watchdog 'loop' expired: not kicked for 6 ticks")),
                    log.toString());

            AtomicInteger kept = new AtomicInteger();
            Watchdog kicked = watchdogs.start("kept", 100, TimeUnit.MILLISECONDS, kept::incrementAndGet);
            for (int i = 0; i < 15; i++) {
                Thread.sleep(10);
                kicked.kick();
            }
            assertEquals(0, kept.get());
            kicked.close();
            watchdog.close();
            assertThrows(IllegalArgumentException.class, () -> watchdogs.start("x", 0, TimeUnit.SECONDS, () -> { }));
        } finally {
            watchdogs.close();
        }
        assertThrows(IllegalStateException.class, () -> watchdogs.start("late", 1, TimeUnit.SECONDS, () -> { }));
    }

    @Test
    void aWatchdogTaskThatCannotStartIsReported() throws Exception {
        EmulatedVxKernel kernel = EmulatedVxKernel.withDefaults(100, 0, temp);
        int semaphores = kernel.semaphoreCount();
        kernel.failNext("taskSpawn", VxKernel.ENOMEM);
        VxException e = assertThrows(VxException.class, () -> new VxWatchdogs(kernel, (m, f) -> { }));
        assertEquals("taskSpawn", e.call());
        assertEquals(semaphores, kernel.semaphoreCount());
    }

    @Test
    void theKernelBindingIsChosenByPropertyAndABadChoiceSaysWhatToDo() {
        ComponentException e = assertThrows(ComponentException.class,
                () -> VxOsalComponent.kernel(context(Map.of()), "bogus"));
        assertEquals("psr.osal.vxworks: property psr.vxworks.kernel = 'bogus' is not allowed: expected jni (on target, "
                + "the default) or emulated (host emulation)", e.getMessage());
        e = assertThrows(ComponentException.class, () -> VxOsalComponent.kernel(context(Map.of()), "jni"));
        assertTrue(e.getMessage().startsWith("psr.osal.vxworks: the native library psrvx did not load"), e.getMessage());
        assertTrue(e.getMessage().endsWith("on a Linux host, set psr.vxworks.kernel=emulated"), e.getMessage());
        VxKernel emulated = VxOsalComponent.kernel(context(Map.of("psr.vxworks.emulation.root", temp.toString(),
                "psr.vxworks.emulation.clkrate", "1000")), "emulated");
        assertTrue(emulated instanceof EmulatedVxKernel);
        assertEquals(1000, emulated.sysClkRateGet());
        e = assertThrows(ComponentException.class, () -> VxOsalComponent.kernel(context(Map.of(
                "psr.vxworks.emulation.clkrate", "fast")), "emulated"));
        assertTrue(e.getMessage().contains("psr.vxworks.emulation.clkrate = 'fast' is not allowed"), e.getMessage());
    }

    private static BundleContext context(Map<String, String> properties) {
        return (BundleContext) Proxy.newProxyInstance(BundleContext.class.getClassLoader(),
                new Class<?>[] {BundleContext.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getProperty")) {
                        return properties.get((String) args[0]);
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
