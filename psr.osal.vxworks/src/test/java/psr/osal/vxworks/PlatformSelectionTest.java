package psr.osal.vxworks;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;

import psr.api.osal.Clock;
import psr.api.osal.DurableStorageProvider;
import psr.api.osal.DurableStorageProvider.OpenStorage;
import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;
import psr.api.osal.NetworkInterfaces;
import psr.api.osal.Watchdogs;

/**
 * Platform selection in a real Felix started from the class path with what a controller runs
 * ({@code cnf/controller.bndrun}'s bundles, so both backends) installed: the framework's
 * {@code osgi.native} capability decides which one resolves. By default (this host: Linux) only
 * {@code psr.osal.linux} resolves; with {@code org.osgi.framework.os.name=VxWorks} (and
 * {@code psr.vxworks.kernel=emulated}, since this host has no VxWorks kernel) only {@code psr.osal.vxworks} does,
 * and its services work. The OSAL API package comes from the class path through the system bundle, so the test
 * talks to the services with its own types.
 */
class PlatformSelectionTest {

    static final long WAIT_MILLIS = FelixHarness.WAIT_MILLIS;

    @TempDir
    Path temp;

    @Test
    void onLinuxTheLinuxBackendIsChosenAndTheVxWorksBackendStaysUnresolved() throws Exception {
        Framework framework = start(Map.of());
        try {
            assertEquals(Bundle.ACTIVE, bundle(framework, "psr.osal.linux").getState());
            assertEquals(Bundle.INSTALLED, bundle(framework, "psr.osal.vxworks").getState(),
                    "psr.osal.vxworks must not resolve on Linux");
            for (Class<?> type : osalTypes()) {
                assertEquals("linux", service(framework, type).getProperty("psr.osal"), type.getSimpleName());
            }
        } finally {
            stop(framework);
        }
    }

    /**
     * What a controller runs on each platform, derived from {@code cnf/controller.bndrun}: all of its bundles active
     * but the OSAL backend of the other platform, which stays installed and unresolved.
     */
    @Test
    void onEachPlatformEveryBundleOfTheControllerIsActiveButTheOtherPlatformsBackend() throws Exception {
        List<String> controller = List.of(FelixHarness.controllerBundles());
        assertTrue(controller.contains("psr.osal.linux"), "cnf/controller.bndrun lists psr.osal.linux: " + controller);
        Map<String, Map<String, String>> platforms = Map.of(
                "psr.osal.vxworks", Map.of(),
                "psr.osal.linux", Map.of(Constants.FRAMEWORK_OS_NAME, "VxWorks", "psr.vxworks.kernel", "emulated",
                        "psr.vxworks.emulation.root", temp.resolve("vxworks").toString()));
        for (Map.Entry<String, Map<String, String>> platform : platforms.entrySet()) {
            String other = platform.getKey();
            Framework framework = FelixHarness.start(temp.resolve("felix-" + other), platform.getValue(), controller
                    .toArray(String[]::new));
            try {
                List<String> bundles = new java.util.ArrayList<>(controller);
                bundles.add("psr.osal.vxworks"); // this module's bundle, installed from target/classes
                for (String name : bundles) {
                    int expected = name.equals(other) ? Bundle.INSTALLED : Bundle.ACTIVE;
                    assertEquals(expected, bundle(framework, name).getState(), "state of " + name + " where "
                            + other + " is for another platform (framework " + platform.getValue() + ")");
                }
            } finally {
                stop(framework);
            }
        }
    }

    @Test
    void whenTheFrameworkSaysVxWorksTheVxWorksBackendIsChosenAndWorksOnItsEmulation() throws Exception {
        Framework framework = start(Map.of(Constants.FRAMEWORK_OS_NAME, "VxWorks",
                "psr.vxworks.kernel", "emulated",
                "psr.vxworks.emulation.root", temp.resolve("vxworks").toString()));
        try {
            assertEquals(Bundle.INSTALLED, bundle(framework, "psr.osal.linux").getState(),
                    "psr.osal.linux must not resolve on VxWorks");
            assertEquals(Bundle.ACTIVE, bundle(framework, "psr.osal.vxworks").getState());
            for (Class<?> type : osalTypes()) {
                ServiceReference<?> reference = service(framework, type);
                assertEquals("vxworks", reference.getProperty("psr.osal"), type.getSimpleName());
                assertEquals("emulated", reference.getProperty("psr.vxworks.kernel"));
            }
            Clock clock = (Clock) framework.getBundleContext().getService(service(framework, Clock.class));
            assertEquals(16_666_667, clock.resolutionNanos(), "60 Hz ticks");

            EventLoops loops = (EventLoops) framework.getBundleContext().getService(service(framework, EventLoops.class));
            EventLoop loop = loops.create("selection", EventLoops.PRIORITY_REPLICA, Throwable::printStackTrace);
            CountDownLatch ran = new CountDownLatch(1);
            loop.execute(ran::countDown);
            assertTrue(ran.await(WAIT_MILLIS, TimeUnit.MILLISECONDS));
            loop.close();

            DurableStorageProvider provider = (DurableStorageProvider) framework.getBundleContext()
                    .getService(service(framework, DurableStorageProvider.class));
            try (OpenStorage storage = provider.open("/ata0:1/psr/parts/a")) {
                storage.append("log", "on HRFS".getBytes(UTF_8), 0, 7);
                storage.sync("log");
                assertEquals("on HRFS", new String(storage.read("log"), UTF_8));
            }
            assertTrue(Files.isRegularFile(temp.resolve("vxworks/ata0_1/psr/parts/a/log")));

            NetworkInterfaces interfaces = (NetworkInterfaces) framework.getBundleContext()
                    .getService(service(framework, NetworkInterfaces.class));
            assertTrue(interfaces.names().contains("gei0"));
        } finally {
            stop(framework);
        }
    }

    @Test
    void aVxWorksFrameworkWithoutTheNativeLibraryOrEmulationSaysWhatToDo() throws Exception {
        Framework framework = start(Map.of(Constants.FRAMEWORK_OS_NAME, "VxWorks"));
        try {
            assertEquals(Bundle.ACTIVE, bundle(framework, "psr.osal.vxworks").getState());
            assertEquals(null, framework.getBundleContext().getServiceReference(Clock.class),
                    "no service without a kernel binding");
        } finally {
            stop(framework);
        }
    }

    private static Class<?>[] osalTypes() {
        return new Class<?>[] {Clock.class, EventLoops.class, DurableStorageProvider.class, NetworkInterfaces.class,
            Watchdogs.class};
    }

    private Framework start(Map<String, String> extra) throws Exception {
        return FelixHarness.start(temp.resolve("felix-" + extra.size()), extra, FelixHarness.controllerBundles());
    }

    private static Bundle bundle(Framework framework, String symbolicName) {
        return FelixHarness.bundle(framework, symbolicName);
    }

    private static ServiceReference<?> service(Framework framework, Class<?> type) throws InterruptedException {
        return FelixHarness.service(framework, type);
    }

    private static void stop(Framework framework) throws Exception {
        FelixHarness.stop(framework);
    }
}
