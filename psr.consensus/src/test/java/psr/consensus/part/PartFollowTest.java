package psr.consensus.part;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import psr.api.state.Change;
import psr.api.state.KeyChange;
import psr.api.state.Operation;
import psr.api.state.PartState;
import psr.api.state.Serving;
import psr.api.state.Snapshot;
import psr.api.state.StateFollower;
import psr.api.state.Value;

/**
 * {@link PartState#follow}: a snapshot at op n, then every change from n+1 with no gap, and whether the replica is
 * the serving primary, in stream order. Runs three real replicas (the {@link PartRuntimeTest} cluster).
 */
class PartFollowTest {
    final PartRuntimeTest cluster = new PartRuntimeTest();

    @AfterEach
    void stop() {
        cluster.stopAll();
    }

    /** Rebuilds the state from what it is given and records the order things came in. */
    static final class Mirror implements StateFollower {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final TreeMap<String, Value> state = new TreeMap<>();
        volatile long op = -1;
        volatile Serving serving;
        volatile String problem = "";

        @Override public synchronized void started(Snapshot snapshot) {
            if (op != -1) problem += "started twice; ";
            state.putAll(snapshot.values());
            op = snapshot.opNumber();
            events.add("snapshot@" + op);
        }

        @Override public synchronized void changed(Change change) {
            if (op == -1) problem += "change before snapshot; ";
            if (change.opNumber() <= op) problem += "op " + change.opNumber() + " after " + op + "; ";
            for (KeyChange k : change.changes()) {
                if (k.newValue() == null) state.remove(k.key()); else state.put(k.key(), k.newValue());
            }
            op = change.opNumber();
            events.add("change@" + op);
        }

        @Override public synchronized void servingChanged(Serving s) {
            if (op == -1) problem += "serving before snapshot; ";
            serving = s;
            events.add((s.serving() ? "serving" : "not-serving") + "@view" + s.view() + "/op" + s.opNumber());
        }

        synchronized Map<String, Value> copy() {
            return new TreeMap<>(state);
        }
    }

    @Test
    void aFollowerStartedWhileWritesGoOnSeesExactlyTheCommittedState() throws Exception {
        cluster.startAll(true);
        cluster.await("a primary", () -> cluster.primaryNode() > 0);
        List<CompletableFuture<?>> writes = new ArrayList<>();
        Mirror[] mirrors = new Mirror[4];
        for (int i = 0; i < 300; i++) {
            PartRuntime at = cluster.nodes[1 + i % 3];
            Operation op = i % 7 == 6 ? Operation.delete("k" + (i - 3) % 40) : Operation.put("k" + i % 40, Value.ofInt32(i, i));
            writes.add(at.submit(op).toCompletableFuture());
            if (i % 100 == 50) {
                int n = 1 + i / 100; // one follower per node, each started at a different point of the stream
                mirrors[n] = new Mirror();
                cluster.nodes[n].follow(mirrors[n]);
            }
        }
        for (CompletableFuture<?> w : writes) cluster.get(w);
        for (int n = 1; n <= 3; n++) {
            Mirror m = mirrors[n];
            PartRuntime node = cluster.nodes[n];
            cluster.await("node " + n + " applied everything", () -> m.op == node.status().commitNumber()
                    && node.status().commitNumber() == cluster.nodes[cluster.primaryNode()].status().commitNumber());
            assertEquals("", m.problem, "node " + n + ": " + m.events);
            assertEquals(node.readLocal(""), m.copy(), "node " + n + ": the snapshot plus the changes after it are the state");
            assertTrue(m.events.get(0).startsWith("snapshot@"), m.events.toString());
            assertTrue(m.events.get(1).contains("serving@"), "the serving state follows the snapshot at once: " + m.events);
        }
    }

    @Test
    void onlyThePrimaryServesAndANewPrimaryServesOnlyWithEverythingTheOldOneCommitted() throws Exception {
        cluster.startAll(true);
        cluster.await("a primary", () -> cluster.primaryNode() > 0);
        Mirror[] mirrors = new Mirror[4];
        for (int n = 1; n <= 3; n++) {
            mirrors[n] = new Mirror();
            cluster.nodes[n].follow(mirrors[n]);
        }
        int first = cluster.primaryNode();
        cluster.await("the primary's follower is told it serves", () -> mirrors[first].serving != null && mirrors[first].serving.serving());
        long firstView = mirrors[first].serving.view();
        for (int n = 1; n <= 3; n++) {
            if (n != first) {
                int node = n;
                cluster.await("node " + n + " told it does not serve", () -> mirrors[node].serving != null);
                assertFalse(mirrors[n].serving.serving());
            }
        }
        for (int i = 0; i < 50; i++) cluster.get(cluster.nodes[first].submit(Operation.put("v" + i, Value.ofInt64(i))));
        Map<String, Value> committed = cluster.nodes[first].readLocal("");

        cluster.nodes[first].stop();
        assertFalse(mirrors[first].serving.serving(), "a stopped primary tells its followers before it stops: " + mirrors[first].events);

        cluster.await("a new primary", () -> cluster.primaryNode() > 0 && cluster.primaryNode() != first);
        int second = cluster.primaryNode();
        Mirror m = mirrors[second];
        cluster.await("the new primary's follower is told it serves", () -> m.serving != null && m.serving.serving());
        Serving s = m.serving;
        assertTrue(s.view() > firstView, "a later view than " + firstView + ": " + s);
        synchronized (m) {
            for (Map.Entry<String, Value> e : committed.entrySet()) {
                assertEquals(e.getValue(), m.state.get(e.getKey()), "when told it serves, the follower has every op the old primary committed: " + e.getKey());
            }
            assertTrue(m.op >= s.opNumber(), "the serving event comes after the changes it names: " + m.events);
        }
        assertEquals("", m.problem);
    }

    @Test
    void aClosedFollowerIsGivenNothingMore() throws Exception {
        cluster.startAll(true);
        cluster.await("a primary", () -> cluster.primaryNode() > 0);
        PartRuntime p = cluster.nodes[cluster.primaryNode()];
        Mirror m = new Mirror();
        PartState.Following f = p.follow(m);
        cluster.get(p.submit(Operation.put("a", Value.ofBool(true))));
        cluster.await("the change", () -> m.copy().containsKey("a"));
        f.close();
        int before = m.events.size();
        List<Change> listened = Collections.synchronizedList(new ArrayList<>());
        p.addListener(listened::add); // called in the same delivery as followers, after them
        cluster.get(p.submit(Operation.put("b", Value.ofBool(true))));
        cluster.await("b delivered to the listener", () -> listened.stream().anyMatch(c -> c.changes().get(0).key().equals("b")));
        assertEquals(before, m.events.size(), m.events.toString());
    }
}
