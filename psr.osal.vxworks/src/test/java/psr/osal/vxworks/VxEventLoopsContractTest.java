package psr.osal.vxworks;

import java.nio.file.Files;

import psr.api.osal.EventLoop;
import psr.api.osal.EventLoops;
import psr.osal.common.EventLoopsContract;

/** The event-loop contract every backend meets, on VxWorks tasks of the emulated kernel (10 ms ticks, wrapping). */
class VxEventLoopsContractTest extends EventLoopsContract {

    @Override
    protected EventLoops startService() throws Exception {
        EmulatedVxKernel kernel = EmulatedVxKernel.withDefaults(100, -50, Files.createTempDirectory("vx-contract"));
        return new VxEventLoops(kernel, warning -> { });
    }

    @Override
    protected void stopService(EventLoops service) {
        ((VxEventLoops) service).close();
    }

    @Override
    protected Thread threadOf(EventLoop loop) {
        return ((VxEventLoop) loop).thread();
    }
}
