package psr.osal.linux;

import java.util.List;

import psr.api.osal.Watchdogs;
import psr.osal.common.WatchdogsContract;

/** The watchdog contract every backend meets, on the Linux watcher thread. */
class ThreadWatchdogsContractTest extends WatchdogsContract {
    private final TestLogger log = new TestLogger();

    @Override
    protected Watchdogs startService() {
        return new ThreadWatchdogs(log.logger());
    }

    @Override
    protected void stopService(Watchdogs service) {
        ((ThreadWatchdogs) service).deactivate();
    }

    @Override
    protected List<String> logged() {
        return log.lines;
    }
}
