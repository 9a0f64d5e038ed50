package psr.api.osal;

import java.util.function.Consumer;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Creates event loops: one platform task (a thread on Linux, a VxWorks task on VxWorks) each.
 *
 * <p>PSR priorities run from 0 (most urgent) to 255 (least urgent), as VxWorks numbers them. Each backend
 * documents how it maps them to its own scheduler.
 */
@ProviderType
public interface EventLoops {

    /** The lowest (most urgent) PSR priority. */
    int PRIORITY_HIGHEST = 0;
    /** The highest (least urgent) PSR priority. */
    int PRIORITY_LOWEST = 255;
    /** The priority replica event loops use unless configured otherwise. */
    int PRIORITY_REPLICA = 60;

    /**
     * Starts a new event loop. Never blocks for long.
     *
     * @param name          for diagnostics (thread or task name)
     * @param priority      0 to 255
     * @param errorHandler  receives anything a task throws; runs on the loop; must not throw
     * @throws IllegalArgumentException naming the bad argument and what is allowed
     */
    EventLoop create(String name, int priority, Consumer<Throwable> errorHandler);
}
