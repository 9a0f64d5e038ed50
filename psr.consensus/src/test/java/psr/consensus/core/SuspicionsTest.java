package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

import psr.consensus.core.Message.NewState;
import psr.consensus.core.Message.Ping;
import psr.consensus.core.Message.Prepare;
import psr.consensus.core.Message.PrepareOk;
import psr.consensus.core.Message.StartView;
import psr.consensus.core.SuspicionNet.Packet;
import psr.consensus.store.ReplicaStore;

/**
 * Tests for the suspicions an independent review raised about the replica core. Each test asserts the safe
 * behaviour, so it FAILS while the suspicion holds and passes once it is fixed (or if it was unfounded).
 * Replicas are numbered from 0; with 5 replicas a quorum is 3, with 3 it is 2.
 */
class SuspicionsTest {

    static final long CLIENT = 1, OTHER_CLIENT = 2, LATE_CLIENT = 3;

    // ------------------------------------------------------------------------------------------------
    // (a) and (b): a deposed primary that restarts in its old view.

    /**
     * The common script of (a) and (b), 5 replicas (ported to registered sessions: op 1 is the group's configuration,
     * ops 2-4 register clients 1, 2 and 3, and "op k" of the original script is base + k, base = 4):
     * <ol>
     * <li>Primary 0 of view 0 commits ops 1-3 everywhere.</li>
     * <li>The network splits {0, 2} | {1, 3, 4}. Primary 0 prepares ops 4 and 5 (client 1, requests 4 and 5);
     * only backup 2 gets them, so they stay uncommitted.</li>
     * <li>{1, 3, 4} start a new view and commit two other operations (client 2) at ops 4 and 5.</li>
     * <li>Primary 0 hears one ping of the new view: it marks itself deposed (in memory only) and asks for the new
     * view's state. (The old core also truncated its log to its commit-number, op 3, durably; the new core keeps
     * its log, so the restarted primary below still holds its own ops 4 and 5.)</li>
     * <li>It loses power before the answer arrives and restarts from its disk: view 0, last normal view 0.
     * {@code Replica.restart} makes it the serving primary of view 0 again.</li>
     * <li>A client (3) sends it three requests. Backup 2, still in view 0 with the old ops 4 and 5, gets the
     * Prepares.</li>
     * </ol>
     * With {@code truncateLikeTheOldCore}, the deposed primary's disk is made what the old core left (its log
     * truncated to its commit-number, durably) before the power failure: the new core no longer writes that disk
     * itself, so this fabricates the old divergence to check how the new Prepare/PrepareOk handle it.
     */
    static SuspicionNet deposedPrimaryRestartsInItsOldView(boolean truncateLikeTheOldCore) {
        SuspicionNet net = new SuspicionNet(5, 0);
        net.tick(10);
        long base = net.registerClients(CLIENT, OTHER_CLIENT, LATE_CLIENT);
        for (long req = 1; req <= 3; req++) net.submit(0, CLIENT, req);
        net.deliverAll();
        net.tick(10);
        for (int i = 0; i < 5; i++) assertEquals(base + 3, net.r[i].commitNumber(), "warm-up: replica " + i + " committed ops 1-3");

        net.cutBetween(new int[] {0, 2}, new int[] {1, 3, 4});
        net.submit(0, CLIENT, 4);
        net.submit(0, CLIENT, 5);
        net.deliverAll();
        assertEquals(base + 5, net.r[2].opNumber(), "backup 2 holds the uncommitted ops 4 and 5 of view 0");
        assertEquals(base + 3, net.r[0].commitNumber(), "ops 4 and 5 are not committed (2 of 5)");

        net.tickUntil("a new view among {1, 3, 4}", () -> net.servingPrimary(0, 1, 3, 4) >= 0, 2000);
        int p = net.servingPrimary(0, 1, 3, 4);
        net.submit(p, OTHER_CLIENT, 1);
        net.submit(p, OTHER_CLIENT, 2);
        net.deliverAll();
        net.tick(10);
        assertEquals(base + 5, net.r[p].commitNumber(), "view " + net.r[p].view() + " committed other ops at 4 and 5");

        Replica np = net.r[p];
        net.inject(p, 0, new Ping(np.view(), Status.NORMAL, np.commitNumber(), true, np.now()));
        // The new core leaves view 0 at once, durably: a view change to the newer view, log kept as it was.
        assertEquals(Status.VIEW_CHANGE, net.r[0].status(), "replica 0 left view 0 on hearing of view " + np.view() + ": " + net.r[0]);
        assertEquals(np.view(), net.r[0].view());
        assertEquals(0, net.r[0].lastNormalView());
        if (truncateLikeTheOldCore) {
            // The disk the old core left: still view 0 (deposed was memory only), log truncated to the commit-number.
            try {
                net.store[0].apply(List.of(new Effects.TruncateAfter(net.r[0].commitNumber()), new Effects.SaveViewState(0, 0)), true);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        net.crash(0);
        net.restart(0);

        for (long req = 1; req <= 3; req++) net.submit(0, LATE_CLIENT, req);
        net.deliverAll();
        return net;
    }

    /**
     * (a) A backup must acknowledge only a log that is the primary's prefix. In the script above, backup 2 holds
     * view 0's old ops 4 and 5 (client 1) while the restarted primary 0 holds different ops at 4 and 5
     * (client 3). In the old core nothing in a Prepare named the entry before it, so 2 answered PrepareOk for op 5
     * (a "retransmission") and then appended op 6 on top of its divergent 4 and 5 and acknowledged op 6. The new
     * core keeps the deposed primary's log, so after the restart both hold client 1's ops 4 and 5 and there is no
     * divergence on this path; {@link #a3_aBackupNeverAcknowledgesALogThatIsNotThePrimarysPrefixEvenWhenTheLogsDiverge}
     * forces it. Each PrepareOk is checked against the backup's log as it was when the PrepareOk left.
     */
    @Test
    void a_aBackupNeverAcknowledgesALogThatIsNotThePrimarysPrefix() {
        SuspicionNet net = deposedPrimaryRestartsInItsOldView(false);
        // The new core persisted leaving view 0, so the restart does not come back as its primary: nothing of view 0
        // is prepared again, and nothing divergent can be acknowledged on this path.
        assertTrue(net.r[0].view() > 0 && !(net.r[0].isServingPrimary() && net.r[0].view() == 0), "after the restart: " + net.r[0]);
        for (Packet pk : net.sent) {
            assertFalse(pk.from() == 0 && pk.message() instanceof Prepare pr && pr.entry().clientId() == LATE_CLIENT
                    && pr.entry().requestNumber() != LogEntry.REGISTER,
                    "the restarted replica 0 prepared a request of client 3: " + pk);
        }
    }

    /**
     * (a) with the divergence forced: primary 0's disk is what the old core left (log truncated to op 3), so the
     * restarted primary prepares client 3's requests at ops 4, 5 and 6 while backup 2 holds client 1's old ops 4
     * and 5. The new core no longer writes such a disk itself; this checks that the hash chain (each entry names its
     * parent, PrepareOk carries the checksum) keeps the backup from acknowledging the divergent log anyway.
     */
    @Test
    void a3_aBackupNeverAcknowledgesALogThatIsNotThePrimarysPrefixEvenWhenTheLogsDiverge() {
        SuspicionNet net = deposedPrimaryRestartsInItsOldView(true);
        long base = 4;
        assertEquals(LATE_CLIENT, net.r[0].entry(base + 4).clientId(), "the forced divergence: primary 0 holds client 3's request at op 4");
        boolean oldOp4 = net.sent.stream().anyMatch(pk -> pk.from() == 0 && pk.to() == 2 && pk.message() instanceof Prepare pr
                && pr.view() == 0 && pr.op() == base + 4 && pr.entry().clientId() == CLIENT);
        assertTrue(oldOp4, "the forced divergence: before its restart primary 0 prepared client 1's request 4 at op 4 for backup 2");
        assertBackup2AcknowledgesOnlyPrefixesOfPrimary0(net);
    }

    private static void assertBackup2AcknowledgesOnlyPrefixesOfPrimary0(SuspicionNet net) {
        Replica primary = net.r[0];
        int restartedAt = indexOfLastRestartMessage(net);
        int checked = 0;
        for (int k = restartedAt; k < net.sent.size(); k++) {
            Packet pk = net.sent.get(k);
            if (pk.from() != 2 || pk.to() != 0 || !(pk.message() instanceof PrepareOk ok) || ok.view() != 0) continue;
            checked++;
            // The backup's log as it was when it sent this PrepareOk (it may have replaced its tail since).
            List<LogEntry> backupLog = net.sentLog.get(k);
            for (LogEntry mine : backupLog) {
                long op = mine.op();
                if (op > Math.min(ok.op(), primary.opNumber()) || op < primary.logStart()) continue;
                if (!mine.equals(primary.entry(op))) {
                    List<String> shown = new ArrayList<>();
                    for (LogEntry e : backupLog) shown.add(SuspicionNet.show(e));
                    fail("backup 2 sent PrepareOk(view 0, op " + ok.op() + ") to primary 0, but at op " + op + " it held "
                            + SuspicionNet.show(mine) + " where the primary holds " + SuspicionNet.show(primary.entry(op))
                            + "; backup log then " + shown + ", primary log " + showLog(net, 0));
                }
            }
        }
        assertTrue(checked > 0, "scenario: backup 2 sent no PrepareOk of view 0 to the restarted primary, so there is nothing to check\n" + net.describe());
    }

    /**
     * (a), second half: can that acknowledged divergence become a committed divergence? The restarted primary
     * needs 3 of 5 acknowledgements in view 0, but the three replicas that started the newer view persisted it
     * and ignore view 0; so only 0 and 2 are left. After the script we also heal the network and let the group
     * settle, then compare what every replica executed. Expected to PASS: this path cannot commit.
     */
    @Test
    void a2_theAcknowledgedDivergenceDoesNotBecomeACommittedOne() {
        SuspicionNet net = deposedPrimaryRestartsInItsOldView(false);
        long base = 4;
        net.tick(100);
        assertTrue(net.r[0].commitNumber() <= base + 3, "the restarted primary of view 0 committed " + net.r[0].commitNumber());
        net.healAll();
        net.tick(1500);
        for (int i = 0; i < 5; i++) {
            assertEquals(Status.NORMAL, net.r[i].status(), "replica " + i + " settled\n" + net.describe());
        }
        List<String> reference = net.machine[1].executed;
        for (int i = 0; i < 5; i++) {
            List<String> mine = net.machine[i].executed;
            List<String> common = reference.subList(0, Math.min(reference.size(), mine.size()));
            assertEquals(common, mine.subList(0, common.size()), "replica " + i + " executed a different prefix");
        }
    }

    /**
     * (b) A view and an op-number name one operation: a primary must never prepare two different operations at
     * the same (view, op). In the script, primary 0 prepared client 1's requests 4 and 5 at view 0, ops 4 and 5
     * before it was deposed; after its restart the old core prepared client 3's requests at view 0, ops 4, 5 and 6
     * (and ops 4 and 5 are also used by other operations in the newer view). The new core keeps ops 4 and 5 in the
     * deposed primary's log, so client 3's requests go to ops 6, 7 and 8.
     */
    @Test
    void b_aRestartedPrimaryNeverReusesAViewstampForADifferentOperation() {
        SuspicionNet net = deposedPrimaryRestartsInItsOldView(false);
        assertFalse(net.r[0].isServingPrimary() && net.r[0].view() == 0, "after the restart replica 0 does not serve view 0 again: " + net.r[0]);
        TreeMap<Long, LogEntry> preparedInView0 = new TreeMap<>();
        for (Packet pk : net.sent) {
            if (pk.from() != 0 || !(pk.message() instanceof Prepare pr) || pr.view() != 0) continue;
            LogEntry first = preparedInView0.putIfAbsent(pr.op(), pr.entry());
            if (first != null && !first.equals(pr.entry())) {
                fail("primary 0 prepared two different operations at view 0, op " + pr.op() + ": " + SuspicionNet.show(first)
                        + " before it was deposed and restarted, " + SuspicionNet.show(pr.entry()) + " after; backup 2 answered "
                        + prepareOksFrom(net, 2, 0));
            }
        }
    }

    private static int indexOfLastRestartMessage(SuspicionNet net) {
        // The restarted primary's first Prepare to a client-3 request marks where the second incarnation begins.
        for (int k = 0; k < net.sent.size(); k++) {
            if (net.sent.get(k).message() instanceof Prepare pr && pr.entry().clientId() == LATE_CLIENT
                    && pr.entry().requestNumber() != LogEntry.REGISTER) return k;
        }
        throw new AssertionError("the restarted primary prepared nothing");
    }

    private static String prepareOksFrom(SuspicionNet net, int from, int to) {
        List<String> out = new ArrayList<>();
        for (Packet pk : net.sent) {
            if (pk.from() == from && pk.to() == to && pk.message() instanceof PrepareOk ok) out.add("PrepareOk(view " + ok.view() + ", op " + ok.op() + ")");
        }
        return out.toString();
    }

    private static String showLog(SuspicionNet net, int i) {
        List<String> out = new ArrayList<>();
        for (LogEntry e : net.log(i)) out.add(SuspicionNet.show(e));
        return out.toString();
    }

    // ------------------------------------------------------------------------------------------------
    // (c) A checkpoint whose state-machine snapshot does not decode.

    /**
     * (c) 3 replicas, no checkpoints of their own. Client 1 registers (op 1 is the group's configuration, op 2 the
     * registration; "op k" below is base + k, base = 2). Client 1's requests 1-3 commit everywhere; backup 2 is then
     * cut off while requests 4-6 commit at 0 and 1. Backup 2 then receives a NewState carrying a checkpoint at op 6
     * (with the checksum of the primary's entry there) whose client table is well formed (configured, client 1 at
     * request 6) but whose state-machine snapshot does not decode (as a peer with another snapshot format would
     * send). The old {@code restoreCheckpoint} installed the client table first, then {@code StateMachine.restore}
     * threw; the exception leaves {@code step} and is swallowed (PartRuntime counts it as a transport drop; the
     * harness does the same). When 2 is reconnected it fetches ops 4-6 and applies them on its old state machine;
     * with the new client table it would judge them already executed. Safe behaviour: afterwards replica 2 executed
     * exactly what the primary executed.
     */
    @Test
    void c_aCheckpointThatFailsToRestoreLeavesNoHalfInstalledState() {
        SuspicionNet net = new SuspicionNet(3, 0);
        net.tick(10);
        long base = net.registerClients(CLIENT);
        for (long req = 1; req <= 3; req++) net.submit(0, CLIENT, req);
        net.deliverAll();
        net.tick(10);
        assertEquals(3, net.machine[2].executed.size());
        net.isolate(2);
        for (long req = 4; req <= 6; req++) {
            net.submit(0, CLIENT, req);
            net.deliverAll();
        }
        assertEquals(base + 6, net.r[0].commitNumber());

        ClientTable table = new ClientTable();
        table.configure(net.config[2].clientTableCapacity());
        table.register(CLIENT, base);
        table.record(CLIENT, 6, new byte[] {1}, base + 6);
        byte[] tableBytes = table.encode();
        byte[] undecodableSnapshot = {0, 0, 0, 9, 1}; // claims 9 entries, holds one byte
        byte[] state = ByteBuffer.allocate(4 + tableBytes.length + undecodableSnapshot.length)
                .putInt(tableBytes.length).put(tableBytes).put(undecodableSnapshot).array();
        long at = base + 6;
        Checkpoint checkpoint = new Checkpoint(at, net.r[0].entry(at).checksum(), state);
        long droppedBefore = net.r[2].droppedMessages();
        net.inject(0, 2, new NewState(0, at, at, at, at, List.of(), CheckpointChunk.of(checkpoint, 0, Integer.MAX_VALUE)));
        assertEquals(0, net.swallowed.size(), "the restore failure is dropped and counted, not thrown: " + net.swallowed);
        assertEquals(droppedBefore + 1, net.r[2].droppedMessages(), "the checkpoint that does not restore is counted as dropped");
        String leftBehind = "after the failed restore replica 2 is " + net.r[2] + " and has executed " + net.machine[2].executed;

        net.healAll();
        net.tickUntil("replica 2 caught up", () -> net.r[2].commitNumber() >= at, 500);
        net.submit(0, CLIENT, 7);
        net.deliverAll();
        net.tick(10);
        assertEquals(net.machine[0].executed, net.machine[2].executed,
                "replica 2 executed other operations than the primary (" + leftBehind + ")");
    }

    // ------------------------------------------------------------------------------------------------
    // (g) The commit-number after Replica.restart.

    /**
     * (g) The commit-number is not persisted, so a replica restarting in a view change knows none of its log is
     * committed. 5 replicas; 3 and 4 are cut off from the start (they never see an operation). Clients 1 and 2
     * register first (op 1 is the group's configuration, ops 2-3 the registrations; "op k" below is base + k,
     * base = 3).
     * <ol>
     * <li>Primary 0 commits ops 1-5 with backups 1 and 2; all three know commit-number 5.</li>
     * <li>A maintenance switch-over to replica 1 starts view 1 with DoViewChange messages from 0 and 2, all with
     * commit-number 5, so StartView says "ops up to 5 are committed, you hold them" and carries no entries.</li>
     * <li>Replica 2 loses power after sending its DoViewChange, before the StartView arrives. It restarts from
     * disk: view 1 (view change), last normal view 0, log 1-5, commit-number 0 in the old core (the new core
     * restarts with the commit-number persisted with its log records).</li>
     * <li>The StartView arrives. In the old core its base (op 5) is above 2's commit-number (0), so 2 truncates its
     * log to op 0, durably, keeping last normal view 0, and asks for the state; the network then splits
     * {0, 1} | {2, 3, 4} before the answer comes.</li>
     * <li>{2, 3, 4} are a quorum and start a view. In the old core its log is chosen among logs claiming last normal
     * view 0 that are all empty.</li>
     * </ol>
     * Safe behaviour: the new view holds the committed ops 1-5.
     */
    @Test
    void g_aRestartedReplicaKeepsItsCommitPointAndNoCommittedOperationIsLost() {
        SuspicionNet net = new SuspicionNet(5, 0);
        net.isolate(3);
        net.isolate(4);
        net.tick(10);
        long base = net.registerClients(CLIENT, OTHER_CLIENT);
        for (long req = 1; req <= 5; req++) net.submit(0, CLIENT, req);
        net.deliverAll();
        net.tick(10);
        for (int i = 0; i < 3; i++) assertEquals(base + 5, net.r[i].commitNumber(), "replica " + i + " knows ops 1-5 committed");
        List<LogEntry> committed = net.log(0);

        net.hold = p -> p.to() == 2 && p.message() instanceof StartView;
        net.collect(0, net.r[0].transferLeadership(1));
        net.tickUntil("view 1 started and its StartView to replica 2 is in flight", () -> !net.held.isEmpty(), 500);
        StartView startView = (StartView) net.held.get(0).message();
        assertEquals(base + 5, startView.afterOp(), "StartView says ops up to 5 are committed and held by every DoViewChange sender");

        net.crash(2);
        ReplicaStore.Loaded disk = net.restart(2);
        String afterRestart = "replica 2 restarted from disk (view " + disk.view() + ", last normal view " + disk.lastNormalView()
                + ", " + disk.log().size() + " log entries) with commit-number " + net.r[2].commitNumber();

        net.cutBetween(new int[] {0, 1}, new int[] {2, 3, 4});
        for (int a : new int[] {2, 3, 4}) for (int b : new int[] {2, 3, 4}) net.cut[a][b] = false;
        net.inject(1, 2, startView);
        String afterStartView = "after the StartView replica 2 holds " + net.r[2].opNumber() + " ops, last normal view " + net.r[2].lastNormalView();

        net.tickUntil("a view among {2, 3, 4}", () -> net.servingPrimary(1, 2, 3, 4) >= 0, 3000);
        int p = net.servingPrimary(1, 2, 3, 4);
        net.submit(p, OTHER_CLIENT, 1);
        net.deliverAll();
        net.tick(10);
        List<LogEntry> newLog = net.log(p);
        boolean kept = newLog.size() >= committed.size() && newLog.subList(0, committed.size()).equals(committed);
        assertTrue(kept, "ops 1-5 were committed in view 0 (replicas 0, 1, 2) but view " + net.r[p].view() + " started at replica " + p
                + " with log " + showLog(net, p) + " (commit-number " + net.r[p].commitNumber() + "); " + afterRestart + "; "
                + afterStartView);
    }

    // ------------------------------------------------------------------------------------------------
    // (d) A crash inside a checkpoint install.

    /**
     * (d1) A replica's own checkpoints. A one-replica group (quorum 1) with a checkpoint every 4 operations commits
     * its configuration (op 1), registers client 1 (op 2) and runs 12 requests (ops 3-14) through a real
     * ReplicaStore; power fails at every single storage call in turn (append, sync, the replace of the checkpoint,
     * the replace of the log, ...), with the unsynced tail torn at random. After each crash it restarts from disk,
     * and client 2 registers and sends one request, which makes it commit and apply its whole log. Safe behaviour:
     * the disk loads without corruption and holds every op whose reply the client got before the crash, and the
     * state machine executed client 1's requests 1..k exactly once each, in order (request k at op 2 + k), with k at
     * least every request whose reply the client got before the crash.
     */
    @Test
    void d1_aCrashAtAnyPointOfTakingACheckpointLosesNothingAndAppliesNothingTwice() throws Exception {
        int totalCalls = ownCheckpointRun(null, Integer.MAX_VALUE, 0).calls;
        assertTrue(totalCalls > 30, "the run makes " + totalCalls + " storage calls");
        for (int crashAt = 1; crashAt <= totalCalls; crashAt++) {
            for (int seed = 0; seed < 5; seed++) {
                ownCheckpointRun(new java.util.Random(seed), crashAt, seed);
            }
        }
    }

    record Run(int calls, long acked) {}

    /** Submits a request (request number {@link LogEntry#REGISTER} registers, with an empty command). */
    /** The op-number that registered each client's session: requests are numbered above it (see ClientTable). */
    private static final java.util.Map<Long, Long> SESSION_BASE = new java.util.HashMap<>();

    private static Effects submit(Replica r, long client, long request) {
        long number = request == LogEntry.REGISTER ? request : SESSION_BASE.getOrDefault(client, 0L) + request;
        Effects fx = r.submit(new Request(client, number, request == LogEntry.REGISTER ? new byte[0] : SuspicionNet.command(client, request)));
        for (Effects.Reply reply : fx.replies()) {
            if (reply.requestNumber() == LogEntry.REGISTER && reply.outcome() == Effects.Outcome.OK) SESSION_BASE.put(reply.clientId(), reply.op());
        }
        return fx;
    }

    private static Run ownCheckpointRun(java.util.Random tear, int crashAt, int seed) throws Exception {
        SESSION_BASE.clear();
        psr.consensus.sim.SimStorage sim = new psr.consensus.sim.SimStorage();
        CrashPointStorage disk = CrashPointStorage.atCall(sim, crashAt);
        ReplicaConfig config = ReplicaConfig.defaults(1, 0).withCheckpointInterval(4);
        ReplicaStore store = new ReplicaStore(disk);
        SuspicionNet.OpListMachine machine = new SuspicionNet.OpListMachine();
        Replica r = Replica.bootstrap(config, machine, new java.util.Random(1));
        final long base = 2; // op 1: the group's configuration, op 2: client 1's registration
        long ackedOp = 0; // the highest op the client got an OK for (its registration included)
        long ackedRequest = 0; // the highest request number (>= 1) the client got an OK for
        try {
            store.apply(r.drainStartupEffects().persist(), true);
            for (long req = LogEntry.REGISTER; req <= 12; req++) {
                Effects fx = submit(r, CLIENT, req);
                store.apply(fx.persist(), fx.syncBeforeSend());
                for (Effects.Reply reply : fx.replies()) {
                    if (reply.outcome() != Effects.Outcome.OK) continue;
                    ackedOp = Math.max(ackedOp, reply.op());
                    if (reply.requestNumber() != LogEntry.REGISTER) {
                        ackedRequest = Math.max(ackedRequest, reply.requestNumber() - SESSION_BASE.get(CLIENT)); // the test's numbering
                    }
                }
                if (req == LogEntry.REGISTER) {
                    assertTrue(r.entry(base).clientId() == CLIENT && r.entry(base).requestNumber() == LogEntry.REGISTER,
                            "setup: client 1 registers at op " + base + ", found " + r.entry(base));
                }
            }
        } catch (java.io.IOException e) {
            // power lost at call crashAt
        }
        if (tear == null) return new Run(disk.calls.size(), ackedOp);
        sim.crash(tear, true);
        String where = "power lost before call " + crashAt + " of " + disk.calls + " (tear seed " + seed + ")";
        ReplicaStore reopened = new ReplicaStore(sim);
        ReplicaStore.Loaded loaded = reopened.load();
        assertFalse(loaded.corrupt(), where + ": disk reported corrupt: " + loaded.problem());
        if (loaded.empty()) {
            assertEquals(0, ackedOp, where + ": empty disk after acknowledging op " + ackedOp);
            return new Run(0, ackedOp);
        }
        assertTrue(loaded.lastOp() >= ackedOp, where + ": op " + ackedOp + " was acknowledged but the disk holds ops up to " + loaded.lastOp());
        SuspicionNet.OpListMachine again = new SuspicionNet.OpListMachine();
        Replica restarted = Replica.restart(config, again, new java.util.Random(2), loaded.view(), loaded.lastNormalView(),
                loaded.checkpoint(), loaded.log(), loaded.commit());
        reopened.apply(restarted.drainStartupEffects().persist(), true);
        Effects fx = submit(restarted, OTHER_CLIENT, LogEntry.REGISTER);
        reopened.apply(fx.persist(), true);
        fx = submit(restarted, OTHER_CLIENT, 1);
        reopened.apply(fx.persist(), true);
        List<String> executed = again.executed;
        assertTrue(!executed.isEmpty() && executed.get(executed.size() - 1).endsWith("client " + OTHER_CLIENT + " request 1"),
                where + ": client 2's request did not execute last after the restart: " + executed);
        long expectedRequest = 1;
        for (String e : executed.subList(0, executed.size() - 1)) {
            assertEquals("op " + (base + expectedRequest) + ": client " + CLIENT + " request " + expectedRequest, e, where + ": executed " + executed);
            expectedRequest++;
        }
        assertTrue(expectedRequest - 1 >= ackedRequest, where + ": request " + ackedRequest + " was acknowledged but after the restart only "
                + executed + " ran");
        return new Run(disk.calls.size(), ackedOp);
    }

    /**
     * (d2) A checkpoint installed by state transfer. 3 replicas, checkpoints every 4 operations. Ported to registered
     * sessions: op 1 is the group's configuration, op 2 client 1's registration, and op n (n >= 3) client 1's
     * request n - 2, so the op numbers of the original script stay. Backup 2 holds ops 1-3 (the original held 1-2;
     * it must stay below the first checkpoint at op 4) and is cut off while ops 4-9 commit at 0 and 1, which
     * checkpoint at op 4 and op 8 and drop their logs below it. Reconnected, 2 gets the primary's checkpoint (op 8)
     * by NewState. Power fails right after ReplicaStore wrote the checkpoint file and before it rewrote the log
     * file, so the old log (ops 1-3) stays on disk. 2 restarts (the loader skips records the checkpoint holds:
     * checkpoint 8, empty log), catches up op 9, which ReplicaStore appends to the old log file, and later restarts
     * once more after a clean power cut. Safe behaviour: that second load is not reported corrupt (a corrupt load
     * wipes the replica and makes it recover from its peers).
     */
    @Test
    void d2_aCrashBetweenCheckpointAndLogRewriteLeavesADiskThatStillLoadsAfterMoreAppends() throws Exception {
        SuspicionNet net = new SuspicionNet(3, 4);
        boolean[] armed = {false};
        net.useDisk(2, new CrashPointStorage(net.sim[2],
                (call, before) -> armed[0] && call.equals("replace log") && !before.isEmpty() && before.get(before.size() - 1).equals("replace checkpoint")));
        net.tick(10);
        long base = net.registerClients(CLIENT);
        assertEquals(2, base);
        net.submit(0, CLIENT, 1);
        net.deliverAll();
        net.tick(10);
        assertEquals(3, net.r[2].commitNumber());
        assertEquals(null, net.r[2].checkpoint(), "replica 2 has no checkpoint of its own");
        net.isolate(2);
        for (long req = 2; req <= 7; req++) {
            net.submit(0, CLIENT, req);
            net.deliverAll();
        }
        assertEquals(9, net.r[0].commitNumber());
        assertEquals(9, net.r[0].logStart(), "the primary's log starts after its checkpoint at op 8");

        armed[0] = true;
        net.healAll();
        net.tickUntil("replica 2 loses power while installing the checkpoint", () -> net.r[2] == null, 500);
        armed[0] = false;
        net.useDisk(2, net.sim[2]);
        ReplicaStore.Loaded first = net.restart(2);
        assertEquals(8, first.checkpoint().op());
        assertEquals(0, first.log().size(), "the old records 1-3 are skipped");
        net.tickUntil("replica 2 caught up op 9", () -> net.r[2].commitNumber() >= 9, 500);

        net.crash(2);
        ReplicaStore.Loaded second = new ReplicaStore(net.sim[2]).load();
        assertFalse(second.corrupt(), "after restarting from checkpoint 8 over the old log and appending op 9, the disk loads as corrupt: "
                + second.problem() + " (a crash-free disk; PartRuntime would now wipe it and recover from the peers)");
    }
}
