package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;

import psr.consensus.core.Effects.Outcome;
import psr.consensus.core.Message.Commit;
import psr.consensus.core.Message.GetState;
import psr.consensus.core.Message.NewState;
import psr.consensus.core.Message.PreVote;
import psr.consensus.core.Message.Prepare;
import psr.consensus.core.Message.PrepareOk;
import psr.consensus.core.Message.StartView;
import psr.consensus.core.Message.StartViewChange;

/**
 * Scenario tests for the safety and liveness bugs an independent reviewer reported against the replica core.
 * Each test drives {@link Replica} objects by hand through a small harness (below): it delivers or loses
 * chosen messages, ticks the replicas, crashes and restarts them from what they persisted, and records what
 * was acknowledged to clients and what every replica committed. Each test asserts the property the bug
 * breaks (a committed operation is never replaced, a request executes at most once, replicas applying the
 * same log agree, a quorum-connected replica eventually leads), not the buggy behaviour, so it passes on a
 * correct implementation.
 *
 * <p>Replicas are numbered from 0; the primary of view {@code v} is {@code v mod n}. Everything is
 * deterministic: each replica gets a {@link Random} with a fixed seed.
 */
class SafetyBugsTest {

    // ------------------------------------------------------------------------------------------------
    // 1. Truncation on a newer view keeps the old last-normal view.

    /**
     * Five replicas. A replica that truncated its log on hearing of a newer view keeps claiming its old
     * last-normal view in the next view change, over a log that lacks an operation it acknowledged.
     * <ol>
     * <li>Primary 0 prepares op 1 (client 1, request 1). Only replicas 1 and 2 receive the Prepare; their
     * PrepareOk lets 0 commit op 1 and acknowledge it to the client. Nobody else learns that it is committed:
     * 0 crashes before its next Commit heartbeat.</li>
     * <li>Replica 1 starts view 1 with replicas 3 and 4 (2 never hears its StartViewChange). Its StartView to
     * 3 and 4 is lost, so they stay in the view change with empty logs.</li>
     * <li>Replica 2 hears a Prepare of view 1 from 1: it truncates its log to its commit-number (0), dropping
     * op 1, and asks 1 for the state. That GetState is lost, so 2 is left with an empty log but still says
     * its last normal view is 0.</li>
     * <li>Replica 1 crashes. Replicas 2, 3 and 4 form a quorum and run a view change. 2's DoViewChange claims
     * last normal view 0 like the others, over an empty log, so the new view starts from an empty log and a
     * new client request commits at op 1.</li>
     * </ol>
     * Op 1 was committed and acknowledged; it must never be replaced. (A correct replica does not vote with a
     * last-normal view its truncated log no longer supports; then 2, 3 and 4 cannot start a view, which is
     * safe.)
     */
    @Test
    void truncationOnNewerViewKeepsOldLastNormalViewLosesCommittedOp() {
        Harness h = new Harness(5, i -> ReplicaConfig.defaults(5, i), 11);
        h.run(20); // pings: everyone is connected and hears primary 0
        h.registerClients(1, 2); // sessions first (the ops below follow the group's configuration and these)

        // 1. Op 1 prepared at 1 and 2 only, committed and acknowledged by 0; then 0 crashes.
        h.dropWhen(p -> p.from() == 0 && (p.to() == 3 || p.to() == 4));
        h.submit(0, 1, 1, command(1, 1, 16));
        h.deliverAll();
        assertTrue(h.acknowledgedOk(1, 1), "setup: primary 0 acknowledged request 1\n" + h.describe());
        h.crash(0);
        h.clearRules();

        // 2. Replica 1 starts view 1 with 3 and 4; its StartView is lost; 3 and 4 hear nothing more from it.
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 1); // only 1 campaigns
        h.dropWhen(p -> p.from() == 1 && p.to() == 2 && p.message() instanceof StartViewChange);
        h.dropWhen(p -> p.from() == 1 && p.message() instanceof StartView);
        h.dropWhen(p -> p.from() == 1 && (p.to() == 3 || p.to() == 4)
                && (p.message() instanceof Prepare || p.message() instanceof Commit));
        // 3. ... and the GetState replica 2 sends when it hears of view 1 is lost.
        h.dropWhen(p -> p.to() == 1 && p.message() instanceof GetState);
        assertTrue(h.runUntil(() -> h.wasDelivered(p -> p.from() == 1 && p.to() == 2
                && p.message() instanceof Prepare m && m.view() == 1), 1000),
                "setup: replica 1 started view 1 and its Prepare reached replica 2\n" + h.describe());
        h.crash(1);
        h.clearRules();

        // 4. Replicas 2, 3 and 4 run a view change, and a new client request is committed.
        h.runClient(2, 1, command(2, 1, 16), 3000);

        h.assertCommittedOpsKept();
    }

    /**
     * Five replicas, checkpoints every 2 operations. Durable mode does not persist the commit-number, so a
     * restarted replica knows only its checkpoint as committed; when it then hears of a newer view it
     * truncates its log to the checkpoint, past an operation it had acknowledged, applied and knew committed.
     * <ol>
     * <li>Primary 0 commits ops 1 and 2 everywhere; every replica checkpoints at op 2.</li>
     * <li>Primary 0 prepares op 3 at replicas 1 and 2 only (3 and 4 hear nothing more from it), commits it,
     * acknowledges it to the client, and tells 1 and 2 with a Commit: they apply op 3. Then 0 crashes.</li>
     * <li>Replica 2 restarts from its disk: view 0, checkpoint at op 2, op 3 in its log. Its commit-number is
     * now only 2.</li>
     * <li>Replica 1 starts view 1 with 3 and 4; its StartView is lost. Its Prepare of view 1 reaches 2, which
     * truncates its log to its commit-number, 2: op 3 is gone from 2. Its GetState is lost; 1 crashes.</li>
     * <li>Replicas 2, 3 and 4 run a view change: all three claim last normal view 0 with logs ending at op 2,
     * so a new client request commits at op 3.</li>
     * </ol>
     * Op 3 was committed and acknowledged; it must never be replaced.
     */
    @Test
    void durableRestartTruncatesToCheckpointAndLosesAckedOp() {
        Harness h = new Harness(5, i -> ReplicaConfig.defaults(5, i).withCheckpointInterval(2), 12);
        h.run(20);
        // Sessions first: the group's configuration and three registrations take ops 1 to 4, so "op k" below is
        // base + k and the checkpoints still fall on base + 2.
        long base = h.registerClients(1, 2, 3);
        assertEquals(4, base);

        // 1. Ops 1 and 2 committed everywhere; checkpoints at op 2.
        h.submit(0, 1, 1, command(1, 1, 16));
        h.deliverAll();
        h.submit(0, 1, 2, command(1, 2, 16));
        h.deliverAll();
        h.run(10); // Commit heartbeats: everybody applies ops 1 and 2
        for (int r = 0; r < 5; r++) assertTrue(h.committedAt(r, base + 2), "setup: replica " + r + " applied op 2\n" + h.describe());

        // 2. Op 3 prepared at 1 and 2 only, committed; 1 and 2 apply it; then 0 crashes.
        h.dropWhen(p -> p.from() == 0 && (p.to() == 3 || p.to() == 4));
        h.submit(0, 1, 3, command(1, 3, 16));
        h.deliverAll();
        assertTrue(h.acknowledgedOk(1, 3), "setup: primary 0 acknowledged op 3\n" + h.describe());
        assertTrue(h.runUntil(() -> h.committedAt(1, base + 3) && h.committedAt(2, base + 3), 50),
                "setup: replicas 1 and 2 applied op 3\n" + h.describe());
        h.crash(0);
        h.clearRules();

        // 3. Replica 2 restarts from what it persisted.
        h.crash(2);
        h.restart(2);

        // 4. Replica 1 starts view 1 with 3 and 4; its StartView is lost; its Prepare reaches 2, whose GetState is lost.
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 1);
        h.dropWhen(p -> p.from() == 1 && p.to() == 2 && p.message() instanceof StartViewChange);
        h.dropWhen(p -> p.from() == 1 && p.message() instanceof StartView);
        h.dropWhen(p -> p.from() == 1 && (p.to() == 3 || p.to() == 4)
                && (p.message() instanceof Prepare || p.message() instanceof Commit));
        h.dropWhen(p -> p.to() == 1 && p.message() instanceof GetState);
        assertTrue(h.runUntil(() -> h.wasDelivered(p -> p.from() == 1 && p.to() == 2
                && p.message() instanceof Prepare m && m.view() == 1), 1000),
                "setup: replica 1 started view 1 and its Prepare reached replica 2\n" + h.describe());
        h.crash(1);
        h.clearRules();

        // 5. Replicas 2, 3 and 4 run a view change, and a new client request is committed.
        h.runClient(2, 1, command(2, 1, 16), 3000);

        h.assertCommittedOpsKept();
    }

    // ------------------------------------------------------------------------------------------------
    // 2. A newer view adopted after the first NewState chunk.

    /**
     * Five replicas, a 4096-byte message budget and 1500-byte commands, so that state transfer sends two
     * operations per NewState and the primary holds one uncommitted operation at a time.
     * <ol>
     * <li>Replicas 3 and 4 are cut off. Primary 0 commits ops 1, 2 and 3 with replicas 1 and 2 and
     * acknowledges them. 2 received op 3 but never learns that it is committed (its commit-number is 2); 1
     * does (0's Commit reaches it). Then 0 crashes, and 3 and 4 are linked again (the NewState answers 1 sends
     * them while still in view 0 are lost, so they do not catch up in view 0).</li>
     * <li>Replica 1 starts view 1 with 2, 3 and 4 (its log, ops 1 to 3, is chosen). Its StartView is lost
     * everywhere, and so is everything else it sends to 2: 2 stays in the view change, with ops 1 to 3 and
     * last normal view 0.</li>
     * <li>1's next Prepare makes 3 and 4 ask for the state; each gets the first NewState chunk (ops 1 and 2,
     * commit-number 3) and nothing more from 1, which crashes. On that first chunk 3 and 4 took view 1 as
     * their last normal view, although their logs end at op 2 and view 1's log holds op 3.</li>
     * <li>Replicas 2, 3 and 4 run a view change. It prefers the log with the larger last normal view, 3's or
     * 4's, ending at op 2, over 2's (last normal view 0, ending at op 3). Op 3 is dropped and a new client
     * request commits there.</li>
     * </ol>
     * Op 3 was committed and acknowledged; it must never be replaced (nor may the view change trip "chosen log
     * ends below the highest commit-number").
     */
    @Test
    void newerViewAdoptedAfterFirstNewStateChunk() {
        Harness h = new Harness(5, i -> ReplicaConfig.defaults(5, i).withMessageBudget(4096), 13);
        h.run(20);
        long base = h.registerClients(1, 2); // "op k" below is base + k

        // 1. 3 and 4 are cut off; 0 commits ops 1 to 3 with 1 and 2; only 1 hears that op 3 is committed.
        h.isolate(3);
        h.isolate(4);
        for (long req = 1; req <= 3; req++) {
            h.submit(0, 1, req, command(1, req, 1500));
            h.deliverAll();
            assertTrue(h.acknowledgedOk(1, req), "setup: primary 0 acknowledged op " + req + "\n" + h.describe());
        }
        h.dropWhen(p -> p.from() == 0 && p.to() == 2 && p.message() instanceof Commit);
        assertTrue(h.runUntil(() -> h.committedAt(1, base + 3), 50), "setup: replica 1 learned op 3 is committed\n" + h.describe());
        h.crash(0);
        h.clearRules();
        h.healAll();

        // 2. 1 starts view 1 with 2, 3 and 4; StartView lost; 2 hears nothing else from 1.
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 1); // only 1 campaigns
        h.dropWhen(p -> p.from() == 1 && p.message() instanceof NewState m && m.view() == 0); // no catching up in view 0
        h.dropWhen(p -> p.from() == 1 && p.message() instanceof StartView);
        h.dropWhen(p -> p.from() == 1 && p.to() == 2 && (p.message() instanceof Prepare || p.message() instanceof Commit
                || p.message() instanceof NewState));
        // 3. 3 and 4 get one NewState chunk of view 1 each, then hear nothing more from 1; 1 crashes.
        h.dropWhen(p -> p.from() == 1 && afterFirstNewState(h, p.to()));
        assertTrue(h.runUntil(() -> afterFirstNewState(h, 3) && afterFirstNewState(h, 4), 1000),
                "setup: replicas 3 and 4 each received a NewState chunk of view 1\n" + h.describe());
        h.crash(1);
        h.clearRules();

        // 4. 2, 3 and 4 run a view change, and a new client request is committed.
        h.runClient(2, 1, command(2, 1, 1500), 3000);

        h.assertCommittedOpsKept();
    }

    /** True once replica {@code r} has received a NewState of view 1 or later. */
    private static boolean afterFirstNewState(Harness h, int r) {
        return h.wasDelivered(p -> p.to() == r && p.message() instanceof NewState m && m.view() >= 1);
    }

    // ------------------------------------------------------------------------------------------------
    // 3. Client-table eviction executes retried requests twice.

    /**
     * Three replicas, room for two client sessions. A client whose session was evicted retries a request
     * that already executed, and (before sessions were registered through the log) the replicas took the retry
     * for a new session's first request.
     * <ol>
     * <li>Client 10 registers its session; then it sends request 1 to primary 0. 0 prepares it at op 1; replica 1 receives the Prepare but
     * its PrepareOk is lost, and so is the Prepare to 2. 0 crashes: the client hears nothing.</li>
     * <li>Replicas 1 and 2 elect a new primary; the new view's log holds the request at op 1, and the new
     * primary commits and executes it.</li>
     * <li>Clients 11 and 12 register; with room for two sessions, client 10's is evicted.</li>
     * <li>Client 10 retries request 1 at the new primary. It has no session: the retry must not execute, and the
     * client is told EVICTED (outcome unknown), not a fresh execution.</li>
     * </ol>
     * A request must execute at most once, at every replica.
     */
    @Test
    void evictedSessionExecutesRetriedRequestTwice() {
        Harness h = new Harness(3, i -> ReplicaConfig.defaults(3, i).withClientTableCapacity(2), 14);
        h.run(20);
        assertTrue(h.request(0, 10, LogEntry.REGISTER, new byte[0], 200), "setup: client 10 registered\n" + h.describe());

        // 1. Request 1 of client 10 prepared at 1 only; no answer reaches 0; 0 crashes.
        h.dropWhen(p -> p.from() == 0 && p.to() == 2);
        h.dropWhen(p -> p.from() == 1 && p.to() == 0 && p.message() instanceof PrepareOk);
        h.submit(0, 10, 1, command(10, 1, 16));
        h.deliverAll();
        h.crash(0);
        h.clearRules();

        // 2. A new primary among 1 and 2.
        assertTrue(h.runUntil(() -> h.servingPrimary() >= 0, 1000), "setup: 1 and 2 elect a primary\n" + h.describe());
        int primary = h.servingPrimary();

        // 3. Clients 11 and 12 push client 10 out of the client table.
        assertTrue(h.request(primary, 11, LogEntry.REGISTER, new byte[0], 200), "setup: client 11 registered\n" + h.describe());
        assertTrue(h.request(primary, 12, LogEntry.REGISTER, new byte[0], 200), "setup: client 12 registered\n" + h.describe());

        // 4. Client 10 retries request 1.
        h.request(primary, 10, 1, command(10, 1, 16), 200);
        h.run(20); // backups apply too

        h.assertAtMostOnceExecution();
        h.assertLastReply(10, 1, Outcome.EVICTED);
    }

    /**
     * Three replicas, room for two client sessions. A request that executed is later retried after its session
     * was evicted. The old answer, SESSION_EXPIRED, told the client to start again with a new id, and the runtime
     * resubmitted the request under it: executed twice. The answer must say the outcome is unknown (EVICTED), and
     * nothing may execute twice.
     * <ol>
     * <li>Client 10 registers; its request 1 commits normally everywhere.</li>
     * <li>Client 10 sends request 2 to primary 0; 0 prepares it at op 2 at replica 1 only, and 1's PrepareOk
     * is lost. 0 crashes: the client hears nothing.</li>
     * <li>Replicas 1 and 2 elect a new primary; its log holds request 2 at op 2, which it commits and
     * executes.</li>
     * <li>Clients 11 and 12 register; client 10's session is evicted.</li>
     * <li>Client 10 retries request 2 and is told EVICTED: it cannot be told whether request 2 executed, and it
     * is not told that it did not.</li>
     * </ol>
     */
    @Test
    void evictedSessionAnswersSessionExpiredForAnExecutedRequest() {
        Harness h = new Harness(3, i -> ReplicaConfig.defaults(3, i).withClientTableCapacity(2), 15);
        h.run(20);
        assertTrue(h.request(0, 10, LogEntry.REGISTER, new byte[0], 200), "setup: client 10 registered\n" + h.describe());

        // 1. Request 1 commits everywhere.
        assertTrue(h.request(0, 10, 1, command(10, 1, 16), 200), "setup: request 1 answered\n" + h.describe());
        h.run(10);

        // 2. Request 2 prepared at 1 only; no answer reaches 0; 0 crashes.
        h.dropWhen(p -> p.from() == 0 && p.to() == 2);
        h.dropWhen(p -> p.from() == 1 && p.to() == 0 && p.message() instanceof PrepareOk);
        h.submit(0, 10, 2, command(10, 2, 16));
        h.deliverAll();
        h.crash(0);
        h.clearRules();

        // 3. A new primary among 1 and 2.
        assertTrue(h.runUntil(() -> h.servingPrimary() >= 0, 1000), "setup: 1 and 2 elect a primary\n" + h.describe());
        int primary = h.servingPrimary();

        // 4. Clients 11 and 12 push client 10 out of the client table.
        assertTrue(h.request(primary, 11, LogEntry.REGISTER, new byte[0], 200), "setup: client 11 registered\n" + h.describe());
        assertTrue(h.request(primary, 12, LogEntry.REGISTER, new byte[0], 200), "setup: client 12 registered\n" + h.describe());

        // 5. Client 10 retries request 2.
        h.request(primary, 10, 2, command(10, 2, 16), 200);
        h.run(20);

        h.assertAtMostOnceExecution();
        h.assertLastReply(10, 2, Outcome.EVICTED);
    }

    // ------------------------------------------------------------------------------------------------
    // 4. The client-table capacity is a per-node setting.

    /**
     * Three replicas; primary 0 is configured with room for two client sessions, replicas 1 and 2 with room for
     * three. Clients 10, 11 and 12 each register and send request 1, then client 10 sends request 2, all committed
     * normally. With a per-node capacity, replica 0 evicted client 10 when client 12 came in and did not execute
     * request 2, while replicas 1 and 2 did: the same committed log gave different states. The capacity is now the
     * group's committed configuration (the first primary's setting, through the log), the same everywhere.
     *
     * <p>Every replica that applied the same committed log must be in the same state.
     */
    @Test
    void perNodeClientTableCapacityDiverges() {
        Harness h = new Harness(3, i -> ReplicaConfig.defaults(3, i).withClientTableCapacity(i == 0 ? 2 : 3), 16);
        h.run(20);
        for (long client = 10; client <= 12; client++) {
            assertTrue(h.request(0, client, LogEntry.REGISTER, new byte[0], 200), h.describe());
            assertTrue(h.request(0, client, 1, command(client, 1, 16), 200), h.describe());
        }
        h.request(0, 10, 2, command(10, 2, 16), 200);
        h.run(20); // Commit heartbeats: the backups apply everything
        long last = h.replicas[0].commitNumber();
        for (int r = 0; r < 3; r++) assertTrue(h.committedAt(r, last), "setup: replica " + r + " applied op " + last + "\n" + h.describe());
        for (int r = 0; r < 3; r++) assertEquals(2, h.replicas[r].clientTableCapacity(), "replica " + r + " uses the group's capacity");

        h.assertSameStateEverywhere();
    }

    // ------------------------------------------------------------------------------------------------
    // 6. A replica in a view change with a pending state transfer never campaigns.

    /**
     * Five replicas, quorum-loss topology around a replica whose state transfer answer was lost.
     * <ol>
     * <li>Primary 0 is cut off from everyone (it abdicates: it is not quorum-connected).</li>
     * <li>Replica 1 starts view 1 with 2, 3 and 4. Its StartView to 2 is lost, so 2 stays in the view change.
     * 1's next Commit (or Prepare) of view 1 makes 2 ask for the state (GetState); the NewState answer is lost.</li>
     * <li>Replica 1 crashes. Every link is cut except replica 2's links to 0, 3 and 4: 2 is the only
     * quorum-connected replica, and the only one that may campaign.</li>
     * <li>2 is in VIEW_CHANGE with a state transfer pending. It never campaigns, since that waits for the
     * transfer to end and only a replica in normal status gives up on a transfer. Nobody asks for a view it
     * could start, and no client request is ever served.</li>
     * </ol>
     * DESIGN section 3, quorum-loss: the replica that keeps its links must become primary.
     */
    @Test
    void viewChangeWithPendingStateTransferNeverCampaigns() {
        Harness h = new Harness(5, i -> ReplicaConfig.defaults(5, i), 17);
        h.run(20);
        h.registerClients(1, 7);
        h.submit(0, 1, 1, command(1, 1, 16));
        h.deliverAll();
        h.run(10);

        // 1. 0 cut off. 2. 1 starts view 1 with 2, 3, 4; StartView to 2 lost; 2's state transfer answer lost.
        h.isolate(0);
        h.dropWhen(p -> p.message() instanceof PreVote && p.from() != 1);
        h.dropWhen(p -> p.from() == 1 && p.to() == 2 && p.message() instanceof StartView);
        h.dropWhen(p -> p.from() == 1 && p.to() == 2 && p.message() instanceof NewState);
        assertTrue(h.runUntil(() -> h.wasDropped(p -> p.from() == 1 && p.to() == 2 && p.message() instanceof NewState), 1000),
                "setup: replica 1 started view 1 and its NewState to 2 was lost\n" + h.describe());

        // 3. 1 crashes; only 2's links remain.
        h.crash(1);
        h.clearRules();
        h.onlyLinks(new int[][] {{2, 0}, {2, 3}, {2, 4}});

        // 4. Someone must become primary and serve a client.
        boolean served = h.runClient(7, 1, command(7, 1, 16), 3000);
        assertTrue(served, "quorum-loss: replica 2 is quorum-connected, yet no replica served a request within 3000 ticks\n"
                + h.describe());
    }

    // ------------------------------------------------------------------------------------------------
    // Harness.

    /** A command carrying its client id and request number (the state machine counts executions by them). */
    static byte[] command(long client, long request, int size) {
        return ByteBuffer.allocate(Math.max(16, size)).putLong(client).putLong(request).array();
    }

    record Packet(int from, int to, Message message) {}

    /** A request acknowledged OK to its client by {@code replica}, executed at {@code op}. */
    record Ack(int replica, long view, long op, long clientId, long requestNumber) {}

    record ReplyAt(int replica, Effects.Reply reply) {}

    /** Records every execution (client, request, op) so that tests can check at-most-once execution. */
    static final class RecordingMachine implements StateMachine {
        final List<long[]> executed = new ArrayList<>();
        /** Every command's bytes after its 16-byte header: the state grows with the commands (for big-state tests). */
        java.io.ByteArrayOutputStream payload = new java.io.ByteArrayOutputStream();

        @Override
        public byte[] apply(long op, byte[] command) {
            ByteBuffer b = ByteBuffer.wrap(command);
            executed.add(new long[] {b.getLong(), b.getLong(), op});
            payload.write(command, 16, command.length - 16);
            return ByteBuffer.allocate(8).putLong(op).array();
        }

        List<Long> opsOf(long client, long request) {
            List<Long> ops = new ArrayList<>();
            for (long[] e : executed) if (e[0] == client && e[1] == request) ops.add(e[2]);
            return ops;
        }

        /** The executions as client/request pairs, in order (the state, without op-numbers). */
        String state() {
            StringBuilder s = new StringBuilder("[");
            for (long[] e : executed) s.append(s.length() > 1 ? ", " : "").append("client ").append(e[0]).append(" request ").append(e[1]);
            return s.append("]").toString();
        }

        @Override
        public byte[] snapshot() {
            ByteBuffer b = ByteBuffer.allocate(4 + 24 * executed.size() + 4 + payload.size()).putInt(executed.size());
            for (long[] e : executed) b.putLong(e[0]).putLong(e[1]).putLong(e[2]);
            b.putInt(payload.size()).put(payload.toByteArray());
            return b.array();
        }

        @Override
        public void restore(byte[] snapshot) {
            ByteBuffer b = ByteBuffer.wrap(snapshot);
            List<long[]> restored = new ArrayList<>();
            for (int i = b.getInt(); i > 0; i--) restored.add(new long[] {b.getLong(), b.getLong(), b.getLong()});
            byte[] bytes = new byte[b.getInt()];
            b.get(bytes);
            executed.clear();
            executed.addAll(restored);
            payload = new java.io.ByteArrayOutputStream();
            payload.write(bytes, 0, bytes.length);
        }
    }

    /** What a replica persisted: enough to restart it with {@link Replica#restart}. */
    static final class Disk {
        long view;
        long lastNormalView;
        Checkpoint checkpoint;
        final List<LogEntry> log = new ArrayList<>();
        /** The highest commit-number persisted with a log record (as ReplicaStore keeps it). */
        long commit;

        void apply(Effects.PersistOp op) {
            if (op instanceof Effects.SaveViewState s) {
                view = s.view();
                lastNormalView = s.lastNormalView();
            } else if (op instanceof Effects.AppendEntries a) {
                log.addAll(a.entries());
                commit = Math.max(commit, a.commit());
            } else if (op instanceof Effects.TruncateAfter t) {
                log.removeIf(e -> e.op() > t.op());
            } else if (op instanceof Effects.ReplaceLog r) {
                log.clear();
                log.addAll(r.entries());
                commit = Math.max(commit, r.commit());
            } else if (op instanceof Effects.InstallCheckpoint c) {
                checkpoint = c.checkpoint();
                log.clear();
                log.addAll(c.logAfter());
                commit = Math.max(commit, c.commit());
            }
        }

        /** What a restart may take as committed: the persisted commit-number, within what the disk holds. */
        long loadedCommit() {
            long base = checkpoint == null ? 0 : checkpoint.op();
            return Math.max(base, Math.min(commit, base + log.size()));
        }
    }

    /**
     * Replicas wired by hand: messages go into a queue and are delivered in order unless their link is cut or
     * a drop rule matches; ticks advance every live replica by one. The harness records what each replica
     * persisted, committed and answered, and notes at once any committed operation that differs from what
     * another replica committed or what a client was told.
     */
    static final class Harness {
        final int n;
        final long seed;
        final ReplicaConfig[] configs;
        final Replica[] replicas;
        final RecordingMachine[] machines;
        final Disk[] disks;
        final boolean[] up;
        final boolean[][] link;
        final int[] incarnation;
        final List<Predicate<Packet>> dropRules = new ArrayList<>();
        final ArrayDeque<Packet> queue = new ArrayDeque<>();
        final List<Packet> delivered = new ArrayList<>();
        final List<Packet> dropped = new ArrayList<>();
        final List<ReplyAt> replies = new ArrayList<>();
        final List<Ack> acks = new ArrayList<>();
        final Map<Long, List<Ack>> acksByOp = new java.util.HashMap<>();
        /** Per replica, every operation it ever committed (applied), across restarts. */
        final List<TreeMap<Long, LogEntry>> committed = new ArrayList<>();
        /** The view each replica was in when it committed each operation. */
        final List<TreeMap<Long, Long>> committedInView = new ArrayList<>();
        final List<String> conflicts = new ArrayList<>();
        long ticks;

        Harness(int n, IntFunction<ReplicaConfig> config, long seed) {
            this.n = n;
            this.seed = seed;
            configs = new ReplicaConfig[n];
            replicas = new Replica[n];
            machines = new RecordingMachine[n];
            disks = new Disk[n];
            up = new boolean[n];
            link = new boolean[n][n];
            incarnation = new int[n];
            healAll();
            for (int i = 0; i < n; i++) {
                configs[i] = config.apply(i);
                machines[i] = new RecordingMachine();
                disks[i] = new Disk();
                committed.add(new TreeMap<>());
                committedInView.add(new TreeMap<>());
                replicas[i] = Replica.bootstrap(configs[i], machines[i], new Random(seed * 100 + i));
                up[i] = true;
                collect(i, replicas[i].drainStartupEffects());
            }
        }

        // Network.

        void dropWhen(Predicate<Packet> rule) {
            dropRules.add(rule);
        }

        void clearRules() {
            dropRules.clear();
        }

        void healAll() {
            for (boolean[] row : link) java.util.Arrays.fill(row, true);
        }

        void isolate(int r) {
            for (int o = 0; o < n; o++) {
                link[r][o] = false;
                link[o][r] = false;
            }
        }

        /** Cuts every link but these (both directions). */
        void onlyLinks(int[][] pairs) {
            for (boolean[] row : link) java.util.Arrays.fill(row, false);
            for (int[] p : pairs) {
                link[p[0]][p[1]] = true;
                link[p[1]][p[0]] = true;
            }
        }

        boolean wasDelivered(Predicate<Packet> what) {
            for (Packet p : delivered) if (what.test(p)) return true;
            return false;
        }

        boolean wasDropped(Predicate<Packet> what) {
            for (Packet p : dropped) if (what.test(p)) return true;
            return false;
        }

        /** Messages whose encoding exceeds this many bytes are dropped, as the transport drops them. */
        int transportLimit = Integer.MAX_VALUE;
        int oversizeDropped;

        void deliverAll() {
            while (!queue.isEmpty()) {
                Packet p = queue.poll();
                boolean lost = !up[p.to()] || !link[p.from()][p.to()];
                if (!lost && transportLimit < Integer.MAX_VALUE
                        && psr.consensus.codec.MessageCodec.DEFAULT.encodedSize(p.message()) > transportLimit) {
                    oversizeDropped++;
                    lost = true;
                }
                for (Predicate<Packet> rule : dropRules) lost = lost || rule.test(p);
                if (lost) {
                    dropped.add(p);
                    continue;
                }
                delivered.add(p);
                collect(p.to(), replicas[p.to()].step(p.from(), p.message()));
            }
        }

        // Replicas.

        void crash(int r) {
            up[r] = false;
            queue.removeIf(p -> p.to() == r || p.from() == r);
        }

        /** Durable restart from what replica {@code r} persisted, with a fresh state machine. */
        void restart(int r) {
            Disk d = disks[r];
            incarnation[r]++;
            machines[r] = new RecordingMachine();
            replicas[r] = Replica.restart(configs[r], machines[r], new Random(seed * 100 + r + 10 * incarnation[r]),
                    d.view, d.lastNormalView, d.checkpoint, List.copyOf(d.log), d.loadedCommit());
            up[r] = true;
            collect(r, replicas[r].drainStartupEffects());
        }

        /** Diskless restart: replica {@code r} lost everything and runs the Recovery protocol. */
        void restartDiskless(int r) {
            disks[r] = new Disk();
            incarnation[r]++;
            machines[r] = new RecordingMachine();
            replicas[r] = Replica.recover(configs[r], machines[r], new Random(seed * 100 + r + 10 * incarnation[r]));
            up[r] = true;
            committed.get(r).clear();
            collect(r, replicas[r].drainStartupEffects());
        }

        void tick() {
            ticks++;
            for (int r = 0; r < n; r++) if (up[r]) collect(r, replicas[r].tick());
            deliverAll();
        }

        void run(int count) {
            for (int t = 0; t < count && conflicts.isEmpty(); t++) tick();
        }

        /** Ticks until {@code done} holds (true) or {@code maxTicks} passed or a conflict was seen (false). */
        boolean runUntil(BooleanSupplier done, int maxTicks) {
            for (int t = 0; t < maxTicks; t++) {
                if (done.getAsBoolean()) return true;
                if (!conflicts.isEmpty()) return false;
                tick();
            }
            return done.getAsBoolean();
        }

        int servingPrimary() {
            for (int r = 0; r < n; r++) if (up[r] && replicas[r].isServingPrimary() && replicas[r].quorumConnected()) return r;
            return -1;
        }

        // Clients.

        /**
         * Registers the clients' sessions at primary 0 and lets every replica apply them; returns the op-number
         * everyone then stands at (the group's configuration entry and the registrations).
         */
        long registerClients(long... clients) {
            for (long client : clients) {
                assertTrue(request(0, client, LogEntry.REGISTER, new byte[0], 200), "setup: client " + client + " registered\n" + describe());
            }
            run(10); // Commit heartbeats: every replica applies them
            long base = replicas[0].commitNumber();
            for (int r = 0; r < n; r++) {
                assertTrue(committedAt(r, base), "setup: replica " + r + " applied the registrations\n" + describe());
            }
            return base;
        }

        /**
         * The op-number that registered each client's session, from the first registration reply it got: a session
         * numbers its requests above it. Tests name requests 1, 2, ... of a session; {@link #number} adds the base.
         */
        final Map<Long, Long> sessionBase = new java.util.HashMap<>();

        /** The request number on the wire of a test's request {@code request} of {@code client}. */
        long number(long client, long request) {
            return request == LogEntry.REGISTER ? request : sessionBase.getOrDefault(client, 0L) + request;
        }

        void submit(int at, long client, long request, byte[] command) {
            collect(at, replicas[at].submit(new Request(client, number(client, request), command)));
        }

        boolean acknowledgedOk(long client, long request) {
            for (Ack a : acks) if (a.clientId() == client && a.requestNumber() == number(client, request)) return true;
            return false;
        }

        /** True when op {@code op} was acknowledged OK to client {@code client}. */
        boolean acknowledged(long op, long client) {
            for (Ack a : acks) if (a.op() == op && a.clientId() == client) return true;
            return false;
        }

        /** Sends a request to one replica and ticks until it answers (anything but NOT_PRIMARY or BUSY). */
        boolean request(int at, long client, long request, byte[] command, int maxTicks) {
            int before = replies.size();
            submit(at, client, request, command);
            deliverAll();
            BooleanSupplier done = () -> {
                for (int i = before; i < replies.size(); i++) {
                    Effects.Reply reply = replies.get(i).reply();
                    if (reply.clientId() == client && reply.requestNumber() == number(client, request)) return true;
                }
                return false;
            };
            return runUntil(done, maxTicks);
        }

        /**
         * A client that sends its request to every live replica every 10 ticks until it is acknowledged OK, for
         * at most {@code maxTicks}. Returns whether it was.
         */
        boolean runClient(long client, long request, byte[] command, int maxTicks) {
            for (int t = 0; t < maxTicks; t++) {
                if (acknowledgedOk(client, request)) return true;
                if (!conflicts.isEmpty()) return false;
                if (t % 10 == 0) {
                    for (int r = 0; r < n; r++) if (up[r]) submit(r, client, request, command);
                    deliverAll();
                }
                tick();
            }
            return acknowledgedOk(client, request);
        }

        // Effects.

        void collect(int r, Effects fx) {
            for (Effects.PersistOp op : fx.persist()) disks[r].apply(op);
            for (Effects.Outbound o : fx.messages()) queue.add(new Packet(r, o.to(), o.message()));
            for (Effects.Committed c : fx.committed()) noteCommitted(r, c.entry(), c.view());
            for (Effects.Reply reply : fx.replies()) {
                replies.add(new ReplyAt(r, reply));
                if (reply.requestNumber() == LogEntry.REGISTER && reply.outcome() == Outcome.OK) sessionBase.putIfAbsent(reply.clientId(), reply.op());
                if (reply.outcome() == Outcome.OK && reply.op() > 0) {
                    Ack ack = new Ack(r, reply.view(), reply.op(), reply.clientId(), reply.requestNumber());
                    acks.add(ack);
                    acksByOp.computeIfAbsent(ack.op(), k -> new ArrayList<>()).add(ack);
                    for (int o = 0; o < n; o++) {
                        LogEntry e = committed.get(o).get(ack.op());
                        if (e != null && !sameRequest(e, ack)) conflicts.add(ackConflict(ack, o, e));
                    }
                }
            }
        }

        private void noteCommitted(int r, LogEntry entry, long view) {
            for (Ack a : acksByOp.getOrDefault(entry.op(), List.of())) {
                if (!sameRequest(entry, a)) {
                    committed.get(r).put(entry.op(), entry);
                    committedInView.get(r).put(entry.op(), view);
                    conflicts.add(ackConflict(a, r, entry));
                    return;
                }
            }
            for (int o = 0; o < n; o++) {
                LogEntry other = committed.get(o).get(entry.op());
                if (other != null && !other.equals(entry)) {
                    conflicts.add("replica " + r + " committed " + describe(entry) + " at op " + entry.op() + " in view " + view
                            + ", but replica " + o + " had committed " + describe(other) + " there in view "
                            + committedInView.get(o).get(entry.op()));
                }
            }
            committed.get(r).put(entry.op(), entry);
            committedInView.get(r).put(entry.op(), view);
        }

        private static boolean sameRequest(LogEntry e, Ack a) {
            return e.clientId() == a.clientId() && e.requestNumber() == a.requestNumber();
        }

        private String ackConflict(Ack a, int r, LogEntry e) {
            return "op " + a.op() + " was committed and acknowledged to client " + a.clientId() + " (request "
                    + a.requestNumber() + ") by primary " + a.replica() + " in view " + a.view() + ", but replica " + r
                    + " committed a different operation at op " + a.op() + " in view " + committedInView.get(r).get(e.op())
                    + ": " + describe(e);
        }

        private static String describe(LogEntry e) {
            return "client " + e.clientId() + " request " + e.requestNumber() + " (prepared in view " + e.view() + ")";
        }

        boolean committedAt(int r, long op) {
            return committed.get(r).containsKey(op);
        }

        // Properties.

        /** No committed operation was ever replaced: replicas agree, and agree with what clients were told. */
        void assertCommittedOpsKept() {
            if (!conflicts.isEmpty()) fail(conflicts.get(0) + "\n" + describe());
        }

        /** Every request executed at most once at every replica (each incarnation's state machine). */
        void assertAtMostOnceExecution() {
            for (int r = 0; r < n; r++) {
                Map<String, List<Long>> seen = new TreeMap<>();
                for (long[] e : machines[r].executed) {
                    seen.computeIfAbsent("client " + e[0] + " request " + e[1], k -> new ArrayList<>()).add(e[2]);
                }
                for (Map.Entry<String, List<Long>> s : seen.entrySet()) {
                    assertEquals(1, s.getValue().size(), "replica " + r + " executed " + s.getKey() + " "
                            + s.getValue().size() + " times, at ops " + s.getValue() + "\n" + describe());
                }
            }
        }

        /** The last answer client {@code client} got for {@code request} had {@code outcome}. */
        void assertLastReply(long client, long request, Outcome outcome) {
            Outcome last = null;
            for (ReplyAt r : replies) {
                if (r.reply().clientId() == client && r.reply().requestNumber() == number(client, request)) last = r.reply().outcome();
            }
            assertEquals(outcome, last, "client " + client + " request " + request + "\n" + describe());
        }

        /** Replicas that applied the same committed operations are in the same state. */
        void assertSameStateEverywhere() {
            assertCommittedOpsKept();
            for (int r = 1; r < n; r++) {
                if (!up[r] || !up[0]) continue;
                assertEquals(replicas[0].commitNumber(), replicas[r].commitNumber(), "setup: same commit-number\n" + describe());
                assertEquals(machines[0].state(), machines[r].state(), "replicas 0 and " + r + " applied the same "
                        + replicas[0].commitNumber() + " committed operations but their states differ\n" + describe());
            }
        }

        String describe() {
            StringBuilder s = new StringBuilder("after " + ticks + " ticks:");
            for (int r = 0; r < n; r++) {
                s.append("\n  ").append(up[r] ? replicas[r].toString() : "replica " + r + " down (" + replicas[r] + ")");
                if (up[r]) s.append(" executed ").append(machines[r].state());
            }
            s.append("\n  acknowledged: ").append(acks);
            return s.toString();
        }
    }
}
