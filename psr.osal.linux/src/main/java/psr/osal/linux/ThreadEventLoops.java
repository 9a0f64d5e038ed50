package psr.osal.linux;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;

/**
 * {@link EventLoops} on Linux: each loop is one platform thread ({@link ThreadEventLoop}) named
 * {@code psr-loop-<name>}.
 *
 * <p><b>Priorities</b> are mapped best effort: PSR 0..255 onto Java 10..1 in ten equal bands
 * ({@link ThreadEventLoop#javaPriority}). On Linux the JVM ignores Java thread priorities by default, so
 * all loops share the time-sharing scheduler equally; nothing here is real-time.
 *
 * <p>Loops still open when this component is deactivated (their user forgot, or is being torn down after
 * us) are closed then, so their threads never outlive the bundle.
 */
@Component(name = "psr.osal.linux.eventloops", service = EventLoops.class, immediate = true,
        property = {"psr.osal=linux", "service.description=PSR event loops (one Java platform thread each)"})
public final class ThreadEventLoops implements EventLoops {

    private final Logger logger;
    private final List<ThreadEventLoop> loops = new ArrayList<>();
    private boolean deactivated;

    @Activate
    public ThreadEventLoops(@Reference(service = LoggerFactory.class) Logger logger) {
        this.logger = Objects.requireNonNull(logger, "logger");
    }

    @Override
    public EventLoop create(String name, int priority, Consumer<Throwable> errorHandler) {
        Objects.requireNonNull(errorHandler, "errorHandler");
        synchronized (loops) {
            if (deactivated) {
                throw new IllegalStateException("event loop '" + name + "' not created: the Linux event loop "
                        + "service is deactivated");
            }
            loops.removeIf(ThreadEventLoop::isClosed);
            ThreadEventLoop loop = new ThreadEventLoop(name, priority, errorHandler, logger::warn);
            loops.add(loop);
            logger.debug("event loop '{}' started: PSR priority {} -> Java thread priority {}", name, priority,
                    loop.thread().getPriority());
            return loop;
        }
    }

    @Deactivate
    void deactivate() {
        List<ThreadEventLoop> open;
        synchronized (loops) {
            deactivated = true;
            open = new ArrayList<>(loops);
            loops.clear();
        }
        for (ThreadEventLoop loop : open) {
            if (!loop.isClosed()) {
                logger.info("closing event loop '{}' left open at deactivation", loop.name());
                loop.close();
            }
        }
    }
}
