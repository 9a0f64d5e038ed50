package psr.itest;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import psr.api.osal.Clock;
import psr.api.osal.DurableStorageProvider;
import psr.api.osal.DurableStorageProvider.OpenStorage;
import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;
import psr.api.osal.NetworkInterfaces;
import psr.api.osal.Watchdogs;

/** The Linux OSAL registers its services without configuration, and they work through the framework. */
@ExtendWith({BundleContextExtension.class, ServiceExtension.class})
class LinuxOsalServicesTest {

    @InjectBundleContext
    BundleContext context;

    @InjectService(timeout = 10_000)
    Clock clock;

    @InjectService(timeout = 10_000)
    EventLoops eventLoops;

    @InjectService(timeout = 10_000)
    DurableStorageProvider storageProvider;

    @InjectService(timeout = 10_000)
    NetworkInterfaces networkInterfaces;

    @InjectService(timeout = 10_000)
    Watchdogs watchdogs;

    @TempDir
    Path temp;

    @Test
    void eachServiceComesFromTheLinuxBackend() {
        for (Class<?> type : new Class<?>[] {Clock.class, EventLoops.class, DurableStorageProvider.class,
                NetworkInterfaces.class, Watchdogs.class}) {
            ServiceReference<?> reference = context.getServiceReference(type);
            assertThat(reference).as("a %s service", type.getSimpleName()).isNotNull();
            assertThat(reference.getProperty("psr.osal")).as("psr.osal of %s", type.getSimpleName())
                    .isEqualTo("linux");
            assertThat(reference.getBundle().getSymbolicName()).isEqualTo("psr.osal.linux");
        }
    }

    @Test
    void theClockIsMonotonic() {
        long first = clock.monotonicNanos();
        assertThat(clock.monotonicNanos() - first).isGreaterThanOrEqualTo(0);
        assertThat(clock.resolutionNanos()).isEqualTo(1);
    }

    @Test
    void anEventLoopRunsTasksAndTimersOnItsThread() throws Exception {
        BlockingQueue<Throwable> errors = new ArrayBlockingQueue<>(4);
        EventLoop loop = eventLoops.create("itest", EventLoops.PRIORITY_REPLICA, errors::add);
        try {
            CountDownLatch both = new CountDownLatch(2);
            loop.execute(() -> {
                if (loop.inEventLoop()) {
                    both.countDown();
                }
            });
            loop.schedule(() -> {
                if (loop.inEventLoop()) {
                    both.countDown();
                }
            }, 10, TimeUnit.MILLISECONDS);
            loop.execute(() -> {
                throw new IllegalStateException("reported");
            });
            assertThat(both.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(errors.poll(10, TimeUnit.SECONDS)).hasMessage("reported");
        } finally {
            loop.close();
        }
    }

    @Test
    void theStorageProviderOpensLocksAndKeepsData() throws Exception {
        String dir = temp.resolve("part-a").toString();
        try (OpenStorage storage = storageProvider.open(dir)) {
            storage.append("log.0", "prepared".getBytes(UTF_8), 0, 8);
            storage.sync("log.0");
            assertThat(storage.path()).isEqualTo(dir);
        }
        try (OpenStorage storage = storageProvider.open(dir)) {
            assertThat(new String(storage.read("log.0"), UTF_8)).isEqualTo("prepared");
        }
    }

    @Test
    void networkInterfacesKnowLoopbackAndAWatchdogFires() throws Exception {
        assertThat(networkInterfaces.names()).contains("lo");
        assertThat(networkInterfaces.addresses("lo")).extracting(a -> a.getHostAddress()).contains("127.0.0.1");
        CountDownLatch fired = new CountDownLatch(1);
        Watchdogs.Watchdog watchdog = watchdogs.start("itest", 30, TimeUnit.MILLISECONDS, fired::countDown);
        try {
            assertThat(fired.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(watchdog.expired()).isTrue();
        } finally {
            watchdog.close();
        }
    }
}
