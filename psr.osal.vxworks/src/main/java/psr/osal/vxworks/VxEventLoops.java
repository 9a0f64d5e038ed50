package psr.osal.vxworks;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;

/**
 * {@link EventLoops} on VxWorks: each loop is a task spawned at the PSR priority unchanged (PSR numbers
 * priorities as VxWorks does, 0 most urgent). A replica loop at the default 60 runs below the network stack's
 * task (tNet0, 50 by default), so datagrams are taken off the wire before they are processed.
 */
final class VxEventLoops implements EventLoops {

    private final VxKernel kernel;
    private final Consumer<String> warn;
    private final List<VxEventLoop> loops = new ArrayList<>();
    private boolean closed;

    VxEventLoops(VxKernel kernel, Consumer<String> warn) {
        this.kernel = kernel;
        this.warn = warn;
    }

    @Override
    public EventLoop create(String name, int priority, Consumer<Throwable> errorHandler) {
        Objects.requireNonNull(errorHandler, "errorHandler");
        synchronized (loops) {
            if (closed) {
                throw new IllegalStateException("event loop '" + name + "' not created: the VxWorks event loop service "
                        + "is deactivated");
            }
            loops.removeIf(VxEventLoop::isClosed);
            try {
                VxEventLoop loop = new VxEventLoop(kernel, name, priority, errorHandler, warn);
                loops.add(loop);
                return loop;
            } catch (VxException e) {
                throw new IllegalStateException("event loop '" + name + "' not created: " + e.getMessage(), e);
            }
        }
    }

    /** Closes the loops still open. */
    void close() {
        List<VxEventLoop> open;
        synchronized (loops) {
            closed = true;
            open = new ArrayList<>(loops);
            loops.clear();
        }
        open.forEach(VxEventLoop::close);
    }
}
