package psr.bridge.mqtt;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one part still has to hand to the broker, in the order it must go: lifecycle messages first, then the
 * republish of the whole state (after becoming primary or reconnecting), then live changes in commit order.
 *
 * <p>Each lane holds at most one message per topic. A newer message for a topic that is still waiting replaces it
 * (latest wins, counted as coalesced); in the live lane it moves to the end, so what is sent stays in commit order
 * and a subscriber never sees a key go back. In the republish lane it takes the old one's place (the republish
 * has no order of its own). The live lane holds at most {@code capacity} topics; one more is an overflow: both
 * data lanes are emptied and the owner must republish the whole state, so memory stays bounded however long the
 * broker is slow.
 *
 * <p>Not thread-safe: its owner ({@link PartPublisher}) guards it.
 */
final class OutboundQueue {

    /** One retained publication; an empty payload clears the topic. */
    record Message(String topic, byte[] payload, boolean republish) {}

    private final int capacity;
    private final LinkedHashMap<String, Message> lifecycle = new LinkedHashMap<>();
    private final TreeMap<String, Message> republish = new TreeMap<>();
    private final LinkedHashMap<String, Message> live = new LinkedHashMap<>();
    private long coalesced, overflows;

    OutboundQueue(int capacity) {
        if (capacity < 1) throw new IllegalArgumentException("capacity " + capacity + ": expected at least 1");
        this.capacity = capacity;
    }

    void lifecycle(Message m) {
        lifecycle.remove(m.topic());
        lifecycle.put(m.topic(), m);
    }

    /** Replaces both data lanes with a republish of {@code messages}; live changes offered after it go after it. */
    void republish(Map<String, Message> messages) {
        live.clear();
        republish.clear();
        republish.putAll(messages);
    }

    /**
     * Queues a live change.
     *
     * @return false on overflow: the data lanes were emptied and the whole state must be republished
     */
    boolean offer(Message m) {
        if (republish.containsKey(m.topic())) {
            republish.put(m.topic(), new Message(m.topic(), m.payload(), true));
            coalesced++;
            return true;
        }
        if (live.remove(m.topic()) != null) coalesced++;
        live.put(m.topic(), m);
        if (live.size() <= capacity) return true;
        overflows++;
        clearData();
        return false;
    }

    /** The next message to send, or null. Live changes never pass a republish still waiting for its rate. */
    Message poll(boolean republishAllowed) {
        Message m = first(lifecycle);
        if (m != null) return m;
        if (!republish.isEmpty()) return republishAllowed ? republish.pollFirstEntry().getValue() : null;
        return first(live);
    }

    private static Message first(LinkedHashMap<String, Message> lane) {
        Iterator<Message> it = lane.values().iterator();
        if (!it.hasNext()) return null;
        Message m = it.next();
        it.remove();
        return m;
    }

    /** True when the next message is part of a republish (and so subject to its rate limit). */
    boolean nextIsRepublish() {
        return lifecycle.isEmpty() && !republish.isEmpty();
    }

    void clearData() {
        republish.clear();
        live.clear();
    }

    void clear() {
        lifecycle.clear();
        clearData();
    }

    boolean isEmpty() {
        return lifecycle.isEmpty() && republish.isEmpty() && live.isEmpty();
    }

    int size() {
        return lifecycle.size() + republish.size() + live.size();
    }

    long coalesced() {
        return coalesced;
    }

    long overflows() {
        return overflows;
    }
}
