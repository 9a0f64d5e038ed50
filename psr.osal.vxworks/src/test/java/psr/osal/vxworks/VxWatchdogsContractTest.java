package psr.osal.vxworks;

import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import psr.api.osal.Watchdogs;
import psr.osal.common.WatchdogsContract;

/** The watchdog contract every backend meets, on the VxWorks watchdog task of the emulated kernel. */
class VxWatchdogsContractTest extends WatchdogsContract {
    private final List<String> log = new CopyOnWriteArrayList<>();

    @Override
    protected Watchdogs startService() throws Exception {
        EmulatedVxKernel kernel = EmulatedVxKernel.withDefaults(100, -50, Files.createTempDirectory("vx-contract"));
        return new VxWatchdogs(kernel, (message, failure) -> log.add(message));
    }

    @Override
    protected void stopService(Watchdogs service) {
        ((VxWatchdogs) service).close();
    }

    @Override
    protected List<String> logged() {
        return log;
    }
}
