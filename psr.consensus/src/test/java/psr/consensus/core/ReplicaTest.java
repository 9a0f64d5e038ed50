package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import psr.consensus.core.Effects.Outcome;
import psr.consensus.core.Message.DoViewChange;
import psr.consensus.core.Message.GetState;
import psr.consensus.core.Message.NewState;
import psr.consensus.core.Message.PreVote;
import psr.consensus.core.Message.PreVoteReply;
import psr.consensus.core.Message.Prepare;
import psr.consensus.core.Message.PrepareOk;
import psr.consensus.core.Message.StartView;

/**
 * Message-level tests of one replica or a small group wired by hand: each test delivers exactly the
 * messages it names, so it shows one rule of the protocol (VR Revisited section numbers in comments).
 */
class ReplicaTest {

    /** Counts executions so that tests can see at-most-once execution. */
    static final class CountingStateMachine implements StateMachine {
        final List<Long> applied = new ArrayList<>();

        @Override
        public byte[] apply(long op, byte[] command) {
            applied.add(op);
            return new byte[] {(byte) applied.size()};
        }

        @Override
        public byte[] snapshot() {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + 8 * applied.size()).putInt(applied.size());
            for (long op : applied) b.putLong(op);
            return b.array();
        }

        @Override
        public void restore(byte[] snapshot) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(snapshot);
            applied.clear();
            for (int i = b.getInt(); i > 0; i--) applied.add(b.getLong());
        }
    }

    record Packet(int from, int to, Message message) {}

    /** A few replicas and a queue of messages between them, delivered in order unless a test drops them. */
    static final class Group {
        final Replica[] replicas;
        final CountingStateMachine[] machines;
        final ArrayDeque<Packet> queue = new ArrayDeque<>();
        final List<Effects.Reply> replies = new ArrayList<>();
        /** The op-number every replica stands at once the group's configuration and clients 1 to 3 are registered. */
        final long base;

        Group(int n) {
            replicas = new Replica[n];
            machines = new CountingStateMachine[n];
            for (int i = 0; i < n; i++) {
                machines[i] = new CountingStateMachine();
                replicas[i] = Replica.bootstrap(ReplicaConfig.defaults(n, i), machines[i], new Random(i));
                collect(i, replicas[i].drainStartupEffects());
            }
            for (long client = 1; client <= 3; client++) submit(0, client, LogEntry.REGISTER);
            deliverAll();
            tickAll(replicas[0].config().heartbeatTicks());
            base = replicas[0].commitNumber();
            for (Replica r : replicas) assertEquals(base, r.commitNumber(), "setup: sessions registered everywhere");
            queue.clear();
            replies.clear();
        }

        void collect(int from, Effects fx) {
            for (Effects.Outbound o : fx.messages()) queue.add(new Packet(from, o.to(), o.message()));
            replies.addAll(fx.replies());
            for (Effects.Reply reply : fx.replies()) {
                if (reply.requestNumber() == LogEntry.REGISTER && reply.outcome() == Outcome.OK) sessionBase.putIfAbsent(reply.clientId(), reply.op());
            }
        }

        void deliverAll() {
            while (!queue.isEmpty()) {
                Packet p = queue.poll();
                collect(p.to(), replicas[p.to()].step(p.from(), p.message()));
            }
        }

        /** The op-number that registered each client's session: a session numbers its requests above it. */
        final java.util.Map<Long, Long> sessionBase = new java.util.HashMap<>();

        void submit(int at, long client, long request) {
            long number = request == LogEntry.REGISTER ? request : sessionBase.getOrDefault(client, 0L) + request;
            collect(at, replicas[at].submit(new Request(client, number, new byte[] {7})));
        }

        void tickAll(int ticks) {
            for (int t = 0; t < ticks; t++) {
                for (int i = 0; i < replicas.length; i++) collect(i, replicas[i].tick());
                deliverAll();
            }
        }

        <T extends Message> T sent(int from, int to, Class<T> type) {
            for (Packet p : queue) {
                if (p.from() == from && p.to() == to && type.isInstance(p.message())) return type.cast(p.message());
            }
            return null;
        }
    }

    /** An entry of a log whose entries before op are unknown (its parent names the empty log only at op 1). */
    static LogEntry entry(long view, long op) {
        return new LogEntry(view, op, op == 1 ? LogEntry.ROOT : 0, 99, op, new byte[] {(byte) op});
    }

    @Test
    void normalCaseCommitsWithAQuorumAndRepliesOnce() { // VRR 4.1
        Group g = new Group(3);
        g.queue.clear();
        g.submit(0, 1, 1);
        assertNotNull(g.sent(0, 1, Prepare.class), "the primary prepares at every backup");
        g.deliverAll();
        assertEquals(1, g.replies.size());
        assertEquals(Outcome.OK, g.replies.get(0).outcome());
        assertEquals(g.base + 1, g.replicas[0].commitNumber());
        assertEquals(List.of(g.base + 1), g.machines[0].applied);
        g.tickAll(g.replicas[0].config().heartbeatTicks());
        assertEquals(g.base + 1, g.replicas[1].commitNumber(), "the Commit heartbeat tells backups");
        assertEquals(List.of(g.base + 1), g.machines[1].applied);
    }

    @Test
    void aRetriedRequestIsAnsweredFromTheClientTableNotExecutedAgain() { // VRR 4.1, client table
        Group g = new Group(3);
        g.submit(0, 1, 1);
        g.deliverAll();
        g.submit(0, 1, 1);
        g.deliverAll();
        assertEquals(2, g.replies.size());
        assertEquals(Outcome.OK, g.replies.get(1).outcome());
        assertEquals(g.replies.get(0).result()[0], g.replies.get(1).result()[0], "the cached result");
        assertEquals(1, g.machines[0].applied.size(), "executed once");
        assertEquals(g.base + 1, g.replicas[0].opNumber(), "not even appended again");
    }

    @Test
    void aBackupAnswersNotPrimaryAndNamesThePrimary() {
        Group g = new Group(3);
        g.submit(2, 1, 1);
        Effects.Reply reply = g.replies.get(0);
        assertEquals(Outcome.NOT_PRIMARY, reply.outcome());
        assertEquals(0, reply.primaryHint());
    }

    @Test
    void aBackupAdoptsANewerViewOnlyAfterStateTransferCompleted() { // VRR 5.2 and the known trap
        Group g = new Group(3);
        for (int req = 1; req <= 3; req++) g.submit(0, 1, req);
        g.deliverAll();
        g.tickAll(g.replicas[0].config().heartbeatTicks());
        g.submit(0, 1, 4); // prepared at the backups, not committed there yet
        long b = g.base; // ops b + 1 to b + 3 are committed, b + 4 is not
        Replica backup = g.replicas[2];
        g.queue.clear();
        g.collect(2, backup.step(0, new Prepare(0, b + 4, b + 3, g.replicas[0].entry(b + 4))));
        assertEquals(b + 4, backup.opNumber());
        assertEquals(b + 3, backup.commitNumber());
        g.queue.clear();
        // Replica 1 started view 1 without replica 2: a Prepare of view 1 arrives, for another op b + 4.
        LogEntry newEntry = new LogEntry(1, b + 4, backup.entry(b + 3).checksum(), 5, 1, new byte[] {9});
        g.collect(2, backup.step(1, new Prepare(1, b + 4, b + 3, newEntry)));
        assertEquals(Status.VIEW_CHANGE, backup.status(), "view 0 left at once (persisted), view 1 not yet adopted");
        assertEquals(1, backup.view());
        assertEquals(0, backup.lastNormalView(), "not adopted before the transfer");
        assertEquals(b + 4, backup.opNumber(), "nothing truncated: its last normal view and log stay a truthful pair");
        GetState ask = g.sent(2, 1, GetState.class);
        assertEquals(new GetState(1, b + 3, 0, 0), ask, "asks from its commit-number, where both logs agree");
        g.queue.clear();
        // A first chunk that does not reach the sender's last op is not enough to adopt the view.
        g.collect(2, backup.step(1, new NewState(1, b + 3, b + 3, b + 3, b + 4, List.of(), null)));
        assertEquals(0, backup.lastNormalView(), "a chunk short of the sender's log does not adopt the view");
        assertEquals(g.replicas[0].entry(b + 4), backup.entry(b + 4), "and changes nothing above the commit-number");
        g.collect(2, backup.step(1, new NewState(1, b + 3, b + 4, b + 3, b + 4, List.of(newEntry), null)));
        assertEquals(1, backup.view());
        assertEquals(1, backup.lastNormalView());
        assertEquals(Status.NORMAL, backup.status());
        assertEquals(newEntry, backup.entry(b + 4), "the whole suffix replaced in one step");
        assertEquals(new PrepareOk(1, b + 4, newEntry.checksum()), g.sent(2, 1, PrepareOk.class));
    }

    @Test
    void malformedOrImpossibleMessagesAreDroppedAndCounted() {
        Group g = new Group(3);
        Replica r = g.replicas[1];
        long view = r.view();
        r.step(7, new PrepareOk(0, 1, 0x77L)); // no such replica
        r.step(2, new Prepare(0, 1, 0, entry(0, 1))); // only the primary of view 0 (replica 0) prepares
        r.step(0, new Prepare(0, 2, 0, entry(0, 1))); // op field and entry disagree
        r.step(2, new DoViewChange(4, 0, 2, 0, 0, List.of(entry(0, 1)))); // log shorter than its op-number
        r.step(0, new StartView(3, 1, 2, 0, List.of(entry(0, 1)))); // commit above op, and 0 does not lead view 3
        r.step(0, new NewState(0, 0, 2, 0, 2, List.of(entry(0, 2)), null)); // entries do not follow afterOp
        assertEquals(6, r.droppedMessages());
        assertEquals(view, r.view());
        assertEquals(g.base, r.opNumber(), "nothing was let in");
        assertFalse(r.lastDropReason().isEmpty());
    }

    @Test
    void aPreVoteChangesNothingAndIsRefusedWhileThePrimaryIsHealthy() { // DESIGN 3: pre-vote
        Group g = new Group(3);
        g.tickAll(10); // pings and commits flow: everyone hears the primary
        Replica backup = g.replicas[1];
        g.queue.clear();
        g.collect(1, backup.step(2, new PreVote(2, true)));
        assertEquals(new PreVoteReply(2, false), g.sent(1, 2, PreVoteReply.class));
        assertEquals(0, backup.view(), "a pre-vote changes no state");
    }

    @Test
    void aPreVoteIsGrantedOnlyToAQuorumConnectedCandidateWhenThePrimaryIsSilent() {
        Replica lonely = Replica.bootstrap(ReplicaConfig.defaults(3, 1), new CountingStateMachine(), new Random(1));
        for (int t = 0; t < 200; t++) lonely.tick(); // hears nothing from primary 0
        Effects yes = lonely.step(2, new PreVote(2, true));
        assertEquals(new PreVoteReply(2, true), yes.messages().get(0).message());
        Effects no = lonely.step(2, new PreVote(2, false));
        assertEquals(new PreVoteReply(2, false), no.messages().get(0).message(), "a candidate that is not QC gets no vote");
        assertEquals(0, lonely.view());
        assertEquals(Status.NORMAL, lonely.status());
    }

    @Test
    void aPrimaryThatIsNotQuorumConnectedAbdicates() { // DESIGN 3
        Replica primary = Replica.bootstrap(ReplicaConfig.defaults(3, 0), new CountingStateMachine(), new Random(1));
        assertTrue(primary.isServingPrimary());
        int timeout = primary.config().electionTimeoutTicks();
        for (int t = 0; t < timeout + 1; t++) primary.tick(); // no pong ever comes back
        assertFalse(primary.isServingPrimary());
        assertTrue(primary.refusal().startsWith("abdicated"), primary.refusal());
        Effects fx = primary.submit(new Request(1, 1, new byte[0]));
        assertEquals(Outcome.NOT_PRIMARY, fx.replies().get(0).outcome());
        for (Effects.Outbound o : primary.tick().messages()) {
            assertFalse(o.message() instanceof Message.Commit, "an abdicated primary sends no commits");
        }
    }

    @Test
    void aRecoveringReplicaServesNothingAndSaysWhy() { // VRR 4.3
        Replica r = Replica.recover(ReplicaConfig.defaults(3, 1), new CountingStateMachine(), new Random(1));
        Effects start = r.drainStartupEffects();
        assertEquals(2, start.messages().size(), "asks both peers");
        assertEquals(Status.RECOVERING, r.status());
        assertEquals(Outcome.NOT_PRIMARY, r.submit(new Request(1, 1, new byte[0])).replies().get(0).outcome());
        r.step(0, new Prepare(0, 1, 0, entry(0, 1)));
        assertEquals(0, r.opNumber(), "a recovering replica accepts no operations");
        assertTrue(r.refusal().startsWith("recovering"), r.refusal());
    }

    @Test
    void theSameInputsGiveTheSameOutputs() { // determinism: the simulator's replay rests on it
        List<String> first = runScript(5);
        List<String> second = runScript(5);
        assertEquals(first, second);
        assertFalse(first.isEmpty());
    }

    private static List<String> runScript(long seed) {
        Group g = new Group(3);
        List<String> trace = new ArrayList<>();
        Random r = new Random(seed);
        for (int i = 0; i < 300; i++) {
            if (r.nextInt(4) == 0) g.submit(r.nextInt(3), 1 + r.nextInt(3), 1 + i);
            for (int k = 0; k < 3; k++) g.collect(k, g.replicas[k].tick());
            while (!g.queue.isEmpty()) {
                Packet p = g.queue.poll();
                if (r.nextInt(10) == 0) continue; // lose some
                trace.add(p.toString());
                g.collect(p.to(), g.replicas[p.to()].step(p.from(), p.message()));
            }
        }
        return trace;
    }
}
