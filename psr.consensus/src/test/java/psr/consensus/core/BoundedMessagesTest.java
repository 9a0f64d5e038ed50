package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import psr.consensus.core.SafetyBugsTest.Harness;

/**
 * Issue 9, bug 5: messages larger than the transport carries are never sent, so a state transfer or a recovery
 * that needs one never completes. Every message must stay within the message budget, so that a part's state is
 * limited by memory and disk, not by one datagram. The harness drops every message whose encoding exceeds the
 * transport limit (1 MiB, the UDP transport's default), as the transport does.
 */
class BoundedMessagesTest {

    static final int TRANSPORT_LIMIT = 1024 * 1024;

    /** Commits {@code ops} requests of {@code bytes} each of client 1 (registered) through primary 0. */
    static void write(Harness h, int ops, int bytes) {
        for (long req = 1; req <= ops; req++) {
            assertTrue(h.request(0, 1, req, SafetyBugsTest.command(1, req, bytes), 200), "request " + req + " answered\n" + h.describe());
        }
    }

    /**
     * Three replicas, no checkpoints. 6,000 operations of 200 bytes (1.4 MB of log), then replica 2 restarts without
     * its disk. Before: the primary's RecoveryResponse carried its whole log in one message, which the transport
     * never delivers, and replica 2 stayed recovering for ever. Now the view comes from the Recovery quorum and the
     * log by state transfer in chunks.
     */
    @Test
    void aDisklessRestartRecoversALogLargerThanOneMessage() {
        Harness h = new Harness(3, i -> ReplicaConfig.defaults(3, i).withCheckpointInterval(0), 21);
        h.transportLimit = TRANSPORT_LIMIT;
        h.run(20);
        h.registerClients(1);
        write(h, 6_000, 200);
        long committed = h.replicas[0].commitNumber();
        h.crash(2);
        h.restartDiskless(2);
        assertTrue(h.runUntil(() -> h.replicas[2].status() == Status.NORMAL && h.replicas[2].commitNumber() >= committed, 3000),
                "replica 2 recovered every committed op (" + committed + ")\n" + h.describe());
        assertEquals(0, h.oversizeDropped, "no message exceeded the transport limit");
        h.assertSameStateEverywhere();
    }

    /**
     * Three replicas, a checkpoint every 500 operations. Replica 2 is cut off while 8,000 operations of 200 bytes
     * (1.6 MB of state) commit, so the others compact the log it lacks into checkpoints. Before: the checkpoint
     * travelled whole in one NewState, larger than the transport carries, and replica 2 never caught up. Now it
     * travels in chunks of the message budget.
     */
    @Test
    void aReplicaBehindACheckpointLargerThanOneMessageCatchesUp() {
        Harness h = new Harness(3, i -> ReplicaConfig.defaults(3, i).withCheckpointInterval(500), 22);
        h.transportLimit = TRANSPORT_LIMIT;
        h.run(20);
        h.registerClients(1);
        h.isolate(2);
        write(h, 8_000, 200);
        assertTrue(h.replicas[0].checkpoint().state().length > TRANSPORT_LIMIT,
                "setup: the checkpoint (" + h.replicas[0].checkpoint().state().length + " bytes) is larger than one message");
        long committed = h.replicas[0].commitNumber();
        h.healAll();
        assertTrue(h.runUntil(() -> h.replicas[2].commitNumber() >= committed, 3000),
                "replica 2 caught up to op " + committed + "\n" + h.describe());
        assertEquals(0, h.oversizeDropped, "no message exceeded the transport limit");
        h.assertSameStateEverywhere();
    }
}
