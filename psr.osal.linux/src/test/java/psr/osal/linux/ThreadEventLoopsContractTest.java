package psr.osal.linux;

import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;
import psr.osal.common.EventLoopsContract;

/** The event-loop contract every backend meets, on Linux threads. */
class ThreadEventLoopsContractTest extends EventLoopsContract {

    @Override
    protected EventLoops startService() {
        return new ThreadEventLoops(new TestLogger().logger());
    }

    @Override
    protected void stopService(EventLoops service) {
        ((ThreadEventLoops) service).deactivate();
    }

    @Override
    protected Thread threadOf(EventLoop loop) {
        return ((ThreadEventLoop) loop).thread();
    }
}
