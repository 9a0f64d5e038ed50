package psr.example.tank;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

import psr.api.state.Change;
import psr.api.state.ChangeListener;
import psr.api.state.KeyChange;

/**
 * A change listener: every controller logs when the tank's pump starts or stops, with the op-number and view of
 * the committed change. PSR calls it once per committed change, in op-number order, on every replica of the part;
 * changes a restarted replica replays from its own log ({@link Change#replay()}) were logged before, so they are
 * not logged again.
 */
@Component(service = ChangeListener.class, property = "psr.part=tank")
public final class PumpEvents implements ChangeListener {
    private final Logger logger;

    @Activate
    public PumpEvents(@Reference(service = LoggerFactory.class) Logger logger) {
        this.logger = logger;
    }

    @Override
    public void changed(Change change) {
        if (change.replay()) return;
        for (KeyChange k : change.changes()) {
            if (k.key().equals("pump") && k.newValue() != null) {
                logger.info("tank: pump {} (op {}, view {})", k.newValue().asBool() ? "started" : "stopped",
                        change.opNumber(), change.view());
            }
        }
    }
}
