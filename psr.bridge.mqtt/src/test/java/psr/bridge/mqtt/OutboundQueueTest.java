package psr.bridge.mqtt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

class OutboundQueueTest {
    static OutboundQueue.Message m(String topic, String payload) {
        return new OutboundQueue.Message(topic, payload.getBytes(StandardCharsets.UTF_8), false);
    }

    static List<String> drain(OutboundQueue q) {
        List<String> out = new ArrayList<>();
        for (OutboundQueue.Message x; (x = q.poll(true)) != null;) out.add(x.topic() + "=" + new String(x.payload(), StandardCharsets.UTF_8));
        return out;
    }

    @Test
    void latestWinsAndMovesToTheEndSoCommitOrderHolds() {
        OutboundQueue q = new OutboundQueue(10);
        q.offer(m("a", "1"));
        q.offer(m("b", "2"));
        q.offer(m("a", "3")); // a's newer value was committed after b's
        assertEquals(List.of("b=2", "a=3"), drain(q));
        assertEquals(1, q.coalesced());
    }

    @Test
    void lifecycleGoesFirstThenTheRepublishThenLiveChanges() {
        OutboundQueue q = new OutboundQueue(10);
        q.offer(m("live", "x"));
        Map<String, OutboundQueue.Message> all = new TreeMap<>();
        all.put("k1", m("k1", "r1"));
        all.put("k2", m("k2", "r2"));
        q.republish(all); // a republish voids what was queued before it
        q.offer(m("k2", "newer")); // a change to a key not yet republished replaces it in place
        q.offer(m("k3", "live"));
        q.lifecycle(m("$primary", "p"));
        assertEquals(List.of("$primary=p", "k1=r1", "k2=newer", "k3=live"), drain(q));
    }

    @Test
    void liveChangesNeverPassAWaitingRepublish() {
        OutboundQueue q = new OutboundQueue(10);
        q.republish(Map.of("k1", m("k1", "r1")));
        q.offer(m("k9", "live"));
        assertTrue(q.nextIsRepublish());
        assertNull(q.poll(false), "the republish waits for its rate; the live change waits behind it");
        assertEquals(List.of("k1=r1", "k9=live"), drain(q));
    }

    @Test
    void moreTopicsThanTheCapacityEmptiesTheDataLanesAndSaysSo() {
        OutboundQueue q = new OutboundQueue(3);
        q.lifecycle(m("$primary", "p"));
        for (int i = 0; i < 3; i++) assertTrue(q.offer(m("k" + i, "v")));
        for (int i = 0; i < 100; i++) assertTrue(q.offer(m("k1", "v" + i)), "coalescing takes no room");
        assertFalse(q.offer(m("k3", "v")));
        assertEquals(1, q.overflows());
        assertEquals(List.of("$primary=p"), drain(q), "lifecycle stays, data is gone (the owner republishes)");
    }
}
