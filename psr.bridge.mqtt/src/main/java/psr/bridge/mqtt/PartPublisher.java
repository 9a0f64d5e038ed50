package psr.bridge.mqtt;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import psr.api.state.Change;
import psr.api.state.KeyChange;
import psr.api.state.PartState;
import psr.api.state.PartStatus;
import psr.api.state.Role;
import psr.api.state.Serving;
import psr.api.state.Snapshot;
import psr.api.state.StateFollower;
import psr.api.state.Value;

/**
 * One part on the broker: follows the part's committed state (a mirror of it, from a snapshot and the change
 * stream) and decides what goes out. Only while this replica is the serving primary, connected, and has
 * republished the whole state since it became primary or last connected, do committed changes go to the queue.
 *
 * <p><b>Threads.</b> The part's delivery thread calls the {@link StateFollower} methods; the bridge thread takes
 * messages ({@link #poll}) and runs the republish ({@link #completeSync}); the MQTT callback thread may fence it.
 * One lock guards everything, so a republish is of the mirror at one op-number and the changes after it follow it.
 */
final class PartPublisher implements StateFollower {

    /** What the publisher needs of its bridge. */
    interface Host {
        /** Tells the bridge thread there may be something to send. */
        void wake();

        boolean connected();
    }

    private final PartState state;
    private final String part;
    private final Topics topics;
    private final Host host;
    private final BridgeLog log;
    private final Counters counters;
    private final Object lock = new Object();

    // Guarded by lock.
    private final TreeMap<String, Value> mirror = new TreeMap<>();
    private final OutboundQueue queue;
    private long op = -1;
    private boolean serving;
    private long servingView = -1;
    /** The highest view in which another node announced itself as primary while this one was connected. */
    private long fencedView = -1;
    private boolean needsSync;
    private PartState.Following following;

    /** Bridge thread only: whether $primary and command topics are subscribed on the current connection. */
    boolean subscribed;

    PartPublisher(PartState state, Topics topics, int queueCapacity, Host host, BridgeLog log, Counters counters) {
        this.state = state;
        this.part = state.part();
        this.topics = topics;
        this.host = host;
        this.log = log;
        this.counters = counters;
        this.queue = new OutboundQueue(queueCapacity);
    }

    String part() {
        return part;
    }

    PartState state() {
        return state;
    }

    void start() {
        PartState.Following f = state.follow(this);
        synchronized (lock) {
            following = f;
        }
    }

    void close() {
        PartState.Following f;
        synchronized (lock) {
            f = following;
            following = null;
            serving = false;
            queue.clear();
        }
        if (f != null) f.close();
    }

    // ------------------------------------------------------------------------------------------------
    // The part's delivery thread.

    @Override
    public void started(Snapshot snapshot) {
        synchronized (lock) {
            mirror.clear();
            mirror.putAll(snapshot.values());
            op = snapshot.opNumber();
        }
    }

    @Override
    public void changed(Change change) {
        boolean wake = false;
        synchronized (lock) {
            for (KeyChange k : change.changes()) {
                if (k.newValue() == null) mirror.remove(k.key()); else mirror.put(k.key(), k.newValue());
            }
            op = change.opNumber();
            if (live()) {
                for (KeyChange k : change.changes()) {
                    byte[] payload = k.newValue() == null ? Payloads.EMPTY : Payloads.value(k.newValue(), change.opNumber(), change.view());
                    if (!queue.offer(new OutboundQueue.Message(topics.key(part, k.key()), payload, false))) {
                        // The broker is slower than the commits by more than the queue holds: start over from the mirror.
                        needsSync = true;
                        counters.add("queue.overflows");
                        log.warn("part " + part + ": outbound queue full (queue.capacity topics waiting): republishing the whole state instead");
                        break;
                    }
                }
                wake = true;
            }
        }
        if (wake) host.wake();
    }

    @Override
    public void servingChanged(Serving s) {
        synchronized (lock) {
            if (s.serving() == serving && (!serving || s.view() == servingView)) return;
            serving = s.serving();
            queue.clear();
            if (serving) {
                servingView = s.view();
                needsSync = true;
                log.info("part " + part + ": node " + s.node() + " is the serving primary in view " + s.view() + " at op " + s.opNumber()
                        + ": publishing the whole state, then every committed change");
            } else {
                needsSync = false;
                log.info("part " + part + ": node " + s.node() + " is no longer the serving primary (view " + s.view() + "): stopped publishing");
            }
        }
        host.wake();
    }

    /** Loop-free check: committed changes go to the queue now. Holds lock. */
    private boolean live() {
        return serving && !needsSync && fencedView < servingView && host.connected();
    }

    // ------------------------------------------------------------------------------------------------
    // The bridge thread.

    /** The connection went down or came up: whatever was queued is void; a serving primary republishes. */
    void connectionChanged() {
        synchronized (lock) {
            queue.clear();
            if (serving) needsSync = true;
        }
    }

    /** The view to republish for, or -1 when no republish is due. */
    long syncDue() {
        synchronized (lock) {
            return serving && needsSync && fencedView < servingView ? servingView : -1;
        }
    }

    /**
     * Queues the republish: {@code $primary}, then every key of the mirror, and an empty retained message for each
     * key the broker retains that the part no longer has.
     */
    void completeSync(Set<String> retainedKeys, long view, int node) {
        synchronized (lock) {
            if (!serving || servingView != view || !needsSync) return; // overtaken: a newer event decides
            Map<String, OutboundQueue.Message> all = new TreeMap<>();
            for (Map.Entry<String, Value> e : mirror.entrySet()) {
                String topic = topics.key(part, e.getKey());
                all.put(topic, new OutboundQueue.Message(topic, Payloads.value(e.getValue(), op, view), true));
            }
            int cleared = 0;
            for (String key : retainedKeys) {
                if (mirror.containsKey(key)) continue;
                String topic = topics.key(part, key);
                all.put(topic, new OutboundQueue.Message(topic, Payloads.EMPTY, true));
                cleared++;
            }
            queue.republish(all);
            queue.lifecycle(new OutboundQueue.Message(topics.primary(part), Payloads.primary(node, view), false));
            needsSync = false;
            counters.add("republishes");
            log.info("part " + part + ": republishing " + mirror.size() + " keys at op " + op + " (view " + view + ")"
                    + (cleared > 0 ? " and clearing " + cleared + " keys deleted meanwhile" : ""));
        }
    }

    /**
     * The next message to send, or null. Nothing is given out unless this replica still serves in the view it
     * republished for, as its status says too (the status is the replica's own, the events may lag it).
     */
    OutboundQueue.Message poll(boolean republishAllowed) {
        synchronized (lock) {
            if (!serving || needsSync || fencedView >= servingView || queue.isEmpty()) return null;
            PartStatus st = state.status();
            if (st.role() != Role.PRIMARY || st.view() != servingView) return null; // held: the events will say what next
            return queue.poll(republishAllowed);
        }
    }

    boolean nextIsRepublish() {
        synchronized (lock) {
            return queue.nextIsRepublish();
        }
    }

    /** Another node said, on the broker, that it is the primary of a later view: stop publishing at once. */
    void fence(int node, long view) {
        synchronized (lock) {
            if (view <= fencedView) return;
            fencedView = view;
            if (serving && servingView <= view) {
                queue.clear();
                counters.add("fenced");
                log.warn("part " + part + ": node " + node + " announced itself primary in view " + view + " (this node serves view "
                        + servingView + "): stopped publishing until this replica serves a later view");
            }
        }
    }

    /** The committed value of {@code key} as this replica has it. */
    Value current(String key) {
        synchronized (lock) {
            return mirror.get(key);
        }
    }

    boolean serving() {
        synchronized (lock) {
            return serving && fencedView < servingView;
        }
    }

    /** One line of status: serving or not, view, op, what is queued and what was coalesced. */
    Map<String, Object> status() {
        synchronized (lock) {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("part", part);
            m.put("serving", serving && fencedView < servingView);
            m.put("view", servingView);
            m.put("op", op);
            m.put("keys", mirror.size());
            m.put("queued", queue.size());
            m.put("coalesced", queue.coalesced());
            m.put("overflows", queue.overflows());
            return m;
        }
    }
}
