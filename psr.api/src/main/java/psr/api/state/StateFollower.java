package psr.api.state;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Follows one replica's committed state of a part as a gap-free stream: first a {@link Snapshot} at some
 * op-number n, then every committed {@link Change} from n+1 on, and, interleaved in the same order, whether
 * this replica is the part's serving primary ({@link Serving}). Pass it to {@link PartState#follow}.
 *
 * <p>This is what a bridge needs that publishes the state elsewhere: what it has seen is always exactly the
 * committed state at one op-number, and it learns at which point of the stream it became (or stopped being)
 * the primary that should publish.
 *
 * <p><b>Threads.</b> Called on the part's delivery thread (the one that also calls {@link ChangeListener}s),
 * never concurrently for one part, in this order: {@link #started} once, {@link #servingChanged} once at
 * once after it, then {@link #changed} and {@link #servingChanged} as they happen. A follower may take its
 * time (a slow follower delays only later deliveries to followers and listeners, never replication), but
 * must not wait for the part to commit something, or it waits for ever. An exception is logged and delivery
 * goes on.
 *
 * <p><b>Data.</b> Everything passed in is immutable and the follower may keep it.
 */
@ConsumerType
public interface StateFollower {

    /** The committed state at {@link Snapshot#opNumber()}; every later change follows through {@link #changed}. */
    void started(Snapshot snapshot);

    /** One committed operation, with an op-number above the snapshot's and above every earlier change's. */
    void changed(Change change);

    /**
     * This replica became, or stopped being, the serving primary. When {@code serving} is true, everything this
     * follower has seen (snapshot and changes up to {@link Serving#opNumber()}) includes every operation
     * committed by any earlier primary, so what it publishes from now on never goes back behind what an earlier
     * primary could have published.
     */
    void servingChanged(Serving serving);
}
