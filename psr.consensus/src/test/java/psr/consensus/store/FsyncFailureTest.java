package psr.consensus.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import psr.consensus.core.Effects;
import psr.consensus.core.LogEntry;
import psr.consensus.core.Message;
import psr.consensus.core.Replica;
import psr.consensus.core.ReplicaConfig;
import psr.consensus.core.StateMachine;

/**
 * Suspicion (f): after an fsync error, data that never became durable is later treated as durable. The storage is
 * {@link PageCacheStorage}, a model of what Linux does when write-back fails (error reported once, pages marked
 * clean, cached bytes still readable, a later fsync succeeds). Each test asserts the safe behaviour and so fails
 * while the suspicion holds.
 */
class FsyncFailureTest {

    /** A hash chain of entries for ops 1 to 10 (view 0, client 5, request number = op), each naming the one before it. */
    static final List<LogEntry> CHAIN = new ArrayList<>();

    static {
        long parent = LogEntry.ROOT;
        for (long op = 1; op <= 10; op++) {
            LogEntry e = new LogEntry(0, op, parent, 5, op, ("command " + op).getBytes());
            CHAIN.add(e);
            parent = e.checksum();
        }
    }

    static LogEntry entry(long op) {
        return CHAIN.get((int) op - 1);
    }

    static List<LogEntry> entries(long from, long to) {
        List<LogEntry> out = new ArrayList<>();
        for (long op = from; op <= to; op++) out.add(entry(op));
        return out;
    }

    static String describe(ReplicaStore.Loaded l) {
        return l.corrupt() ? "corrupt (" + l.problem() + ")" : l.lastOp() + " ops";
    }

    /**
     * (f1) A backup has ops 1-3 durable. The sync after appending op 4 fails (EIO), and ReplicaStore reports it. If
     * the same store is used again (PartRuntime stops the replica only asynchronously, see PartSuspicionsTest),
     * the next batch appends op 5 and syncs: ReplicaStore still holds the log as dirty and simply calls sync again,
     * which now succeeds, so it reports ops 4 and 5 durable. Safe behaviour: once a sync failed, the store does not
     * report durability again (it fails every later batch until the log is rewritten).
     */
    @Test
    void f1_afterAFailedSyncTheStoreNeverReportsLaterWritesDurable() throws IOException {
        PageCacheStorage disk = new PageCacheStorage();
        ReplicaStore store = new ReplicaStore(disk);
        store.apply(List.of(new Effects.SaveViewState(0, 0), new Effects.AppendEntries(entries(1, 3), 0)), true);
        disk.failNextSync("log");
        assertThrows(IOException.class, () -> store.apply(List.of(new Effects.AppendEntries(entries(4, 4), 0)), true));
        IOException second = null;
        try {
            store.apply(List.of(new Effects.AppendEntries(entries(5, 5), 0)), true);
        } catch (IOException e) {
            second = e;
        }
        disk.powerFailure();
        ReplicaStore.Loaded after = new ReplicaStore(disk).load();
        assertTrue(second != null, "ReplicaStore reported ops 4-5 durable on the sync after the failed one; after a power failure the disk loads as "
                + describe(after));
    }

    /**
     * (f2) Same failure, and this time the runtime stops the replica as it should; the process restarts (the
     * machine did not lose power, so the page cache still holds op 4). ReplicaStore.load reads op 4 back and the
     * replica restarts with ops 1-4 as its persisted log. The primary's Prepare for op 5 arrives: the replica
     * appends it, syncs (successfully), and answers PrepareOk(op 5), promising that ops 1-5 are on its disk. Then
     * the machine loses power. Safe behaviour: what the replica acknowledged is still on its disk.
     */
    @Test
    void f2_aRestartAfterAFailedSyncDoesNotAcknowledgeBytesThatNeverReachedTheDisk() throws IOException {
        PageCacheStorage disk = new PageCacheStorage();
        ReplicaStore store = new ReplicaStore(disk);
        store.apply(List.of(new Effects.SaveViewState(0, 0), new Effects.AppendEntries(entries(1, 3), 0)), true);
        disk.failNextSync("log");
        assertThrows(IOException.class, () -> store.apply(List.of(new Effects.AppendEntries(entries(4, 4), 0)), true));

        ReplicaStore restartedStore = new ReplicaStore(disk);
        ReplicaStore.Loaded loaded = restartedStore.load();
        Replica backup = Replica.restart(ReplicaConfig.defaults(3, 1), new NullMachine(), new Random(1), loaded.view(),
                loaded.lastNormalView(), loaded.checkpoint(), loaded.log(), loaded.commit());
        restartedStore.apply(backup.drainStartupEffects().persist(), true);
        Effects fx = backup.step(0, new Message.Prepare(0, 5, 0, entry(5)));
        restartedStore.apply(fx.persist(), fx.syncBeforeSend());
        long acknowledged = -1;
        for (Effects.Outbound o : fx.messages()) if (o.message() instanceof Message.PrepareOk ok) acknowledged = ok.op();
        assertEquals(5, acknowledged, "the restarted backup acknowledges op 5 (loaded " + loaded.log().size() + " ops, op 4 among them)");

        disk.powerFailure();
        ReplicaStore.Loaded afterPowerFailure = new ReplicaStore(disk).load();
        assertTrue(!afterPowerFailure.corrupt() && afterPowerFailure.lastOp() >= acknowledged,
                "the replica acknowledged ops up to " + acknowledged + " after restarting over a log whose sync had failed, but after a power failure its disk loads as "
                        + describe(afterPowerFailure));
    }

    static final class NullMachine implements StateMachine {
        @Override public byte[] apply(long op, byte[] command) { return new byte[0]; }
        @Override public byte[] snapshot() { return new byte[0]; }
        @Override public void restore(byte[] snapshot) {}
    }
}
