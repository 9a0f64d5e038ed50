package psr.consensus.part;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

import psr.api.state.Change;
import psr.api.state.ChangeListener;
import psr.api.state.PartState;
import psr.api.state.Serving;
import psr.api.state.Snapshot;
import psr.api.state.StateFollower;

/**
 * Hands a part's committed changes to its {@link ChangeListener}s and {@link StateFollower}s, and tells followers
 * when this replica starts or stops serving as primary. Calls go out on the part's callback loop, in op-number
 * order, one at a time; one that throws is logged and does not stop the others.
 *
 * <p>{@link #addListener}, {@link #removeListener} and closing a following: any thread. Everything else: the replica's
 * loop, so that a follower's snapshot and the changes after it agree.
 */
final class ChangeDelivery {
    private final String part;
    private final Executor callbacks;
    private final PartRuntime.Log log;
    private final CopyOnWriteArrayList<ChangeListener> listeners = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<Follower> followers = new CopyOnWriteArrayList<>();

    ChangeDelivery(String part, Executor callbacks, PartRuntime.Log log) {
        this.part = part;
        this.callbacks = callbacks;
        this.log = log;
    }

    /** One follower: deliveries stop once it is closed; changes at or below its snapshot are not given to it. */
    static final class Follower {
        final StateFollower follower;
        volatile boolean closed;
        long snapshotOp; // written on the replica loop before the binding is published to deliveries

        Follower(StateFollower follower) {
            this.follower = follower;
        }
    }

    void addListener(ChangeListener l) {
        listeners.add(l);
    }

    void removeListener(ChangeListener l) {
        listeners.remove(l);
    }

    /** Whether anyone would receive a change: when not, the replica need not build them. */
    boolean hasAudience() {
        return !listeners.isEmpty() || !followers.isEmpty();
    }

    /** Starts {@code f} with {@code snapshot} (the state at the replica's commit-number now) and whether it serves. Replica loop. */
    void startFollowing(Follower f, Snapshot snapshot, Serving now) {
        if (f.closed) return;
        f.snapshotOp = snapshot.opNumber();
        followers.add(f);
        callbacks.execute(() -> {
            call(f, "snapshot", snapshot.opNumber(), () -> f.follower.started(snapshot));
            call(f, "serving", snapshot.opNumber(), () -> f.follower.servingChanged(now));
        });
    }

    /** The following handed to the follower's owner. */
    PartState.Following following(Follower f) {
        return () -> {
            f.closed = true;
            followers.remove(f);
        };
    }

    void deliver(List<Change> changes) {
        if (changes.isEmpty() || !hasAudience()) return;
        List<Follower> to = followers.isEmpty() ? List.of() : List.copyOf(followers);
        callbacks.execute(() -> {
            for (Change change : changes) {
                for (Follower f : to) {
                    if (change.opNumber() > f.snapshotOp) call(f, "change", change.opNumber(), () -> f.follower.changed(change));
                }
                for (ChangeListener l : listeners) {
                    try {
                        l.changed(change);
                    } catch (RuntimeException e) {
                        log.error("part " + part + ": change listener " + l.getClass().getName() + " failed at op " + change.opNumber(), e);
                    }
                }
            }
        });
    }

    void servingChanged(Serving s) {
        if (followers.isEmpty()) return;
        List<Follower> to = List.copyOf(followers);
        callbacks.execute(() -> {
            for (Follower f : to) call(f, "serving", s.opNumber(), () -> f.follower.servingChanged(s));
        });
    }

    private void call(Follower f, String what, long op, Runnable call) {
        if (f.closed) return;
        try {
            call.run();
        } catch (RuntimeException e) {
            log.error("part " + part + ": state follower " + f.follower.getClass().getName() + " failed on " + what + " at op " + op, e);
        }
    }
}
