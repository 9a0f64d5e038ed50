package psr.consensus.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import psr.consensus.core.Checkpoint;
import psr.consensus.core.Effects;
import psr.consensus.core.LogEntry;
import psr.consensus.sim.SimStorage;

class ReplicaStoreTest {

    private static final List<LogEntry> CHAIN = new ArrayList<>();

    /** Entry {@code op} of one hash-chained log (each names the one before it as its parent). */
    static LogEntry entry(long op) {
        while (CHAIN.size() < op) {
            long next = CHAIN.size() + 1;
            long parent = CHAIN.isEmpty() ? LogEntry.ROOT : CHAIN.get(CHAIN.size() - 1).checksum();
            CHAIN.add(new LogEntry(1, next, parent, 5, next, ("command " + next).getBytes()));
        }
        return CHAIN.get((int) op - 1);
    }

    static List<LogEntry> entries(long from, long to) {
        List<LogEntry> out = new ArrayList<>();
        for (long op = from; op <= to; op++) out.add(entry(op));
        return out;
    }

    @Test
    void anEmptyStorageLoadsAsEmpty() throws IOException {
        ReplicaStore.Loaded loaded = new ReplicaStore(new SimStorage()).load();
        assertTrue(loaded.empty());
        assertFalse(loaded.corrupt());
    }

    @Test
    void whatWasSyncedReadsBackAfterACrash() throws IOException {
        SimStorage disk = new SimStorage();
        ReplicaStore store = new ReplicaStore(disk);
        store.apply(List.of(new Effects.SaveViewState(3, 2), new Effects.AppendEntries(entries(1, 5), 0)), true);
        store.apply(List.of(new Effects.TruncateAfter(3), new Effects.AppendEntries(entries(4, 4), 0)), true);
        disk.crash(new Random(1), true);
        ReplicaStore.Loaded loaded = new ReplicaStore(disk).load();
        assertFalse(loaded.corrupt(), loaded.problem());
        assertEquals(3, loaded.view());
        assertEquals(2, loaded.lastNormalView());
        assertEquals(entries(1, 4), loaded.log());
        assertArrayEquals(entry(4).command(), loaded.log().get(3).command());
    }

    @Test
    void aTornUnsyncedTailIsCutOffNotReportedAsCorruption() throws IOException {
        for (int seed = 0; seed < 200; seed++) {
            SimStorage disk = new SimStorage();
            ReplicaStore store = new ReplicaStore(disk);
            store.apply(List.of(new Effects.SaveViewState(1, 1), new Effects.AppendEntries(entries(1, 3), 0)), true);
            store.apply(List.of(new Effects.AppendEntries(entries(4, 6), 0)), false); // not synced
            disk.crash(new Random(seed), true); // keeps a random prefix of the unsynced bytes
            ReplicaStore.Loaded loaded = new ReplicaStore(disk).load();
            assertFalse(loaded.corrupt(), "seed " + seed + ": " + loaded.problem());
            assertTrue(loaded.log().size() >= 3 && loaded.log().size() <= 6, "seed " + seed);
            assertEquals(entries(1, loaded.log().size()), loaded.log());
            ReplicaStore.Loaded again = new ReplicaStore(disk).load();
            assertEquals(0, again.tornBytesDropped(), "the torn tail was cut off durably");
        }
    }

    @Test
    void everySingleBitFlipInSyncedDataIsDetected() throws IOException {
        SimStorage reference = new SimStorage();
        ReplicaStore store = new ReplicaStore(reference);
        store.apply(List.of(new Effects.SaveViewState(1, 1), new Effects.AppendEntries(entries(1, 4), 0)), true);
        int length = reference.read("log").length;
        for (int bit = 0; bit < length * 8; bit++) {
            SimStorage disk = copy(reference);
            byte[] log = disk.read("log");
            log[bit / 8] ^= (byte) (1 << (bit % 8));
            disk.replace("log", log);
            ReplicaStore.Loaded loaded = new ReplicaStore(disk).load();
            assertTrue(loaded.corrupt(), "bit " + bit + " flipped went unnoticed");
        }
    }

    @Test
    void aCorruptViewStateIsReported() throws IOException {
        SimStorage disk = new SimStorage();
        new ReplicaStore(disk).apply(List.of(new Effects.SaveViewState(4, 4)), true);
        byte[] view = disk.read("view");
        view[12] ^= 1;
        disk.replace("view", view);
        ReplicaStore.Loaded loaded = new ReplicaStore(disk).load();
        assertTrue(loaded.corrupt());
        assertTrue(loaded.problem().startsWith("view state record corrupt"), loaded.problem());
    }

    @Test
    void replacingTheLogKeepsOffsetsRightForLaterTruncation() throws IOException {
        SimStorage disk = new SimStorage();
        ReplicaStore store = new ReplicaStore(disk);
        store.apply(List.of(new Effects.SaveViewState(1, 1), new Effects.ReplaceLog(entries(1, 5), 0)), true);
        store.apply(List.of(new Effects.TruncateAfter(2), new Effects.AppendEntries(entries(3, 3), 0)), true);
        assertEquals(entries(1, 3), new ReplicaStore(disk).load().log());
    }

    @Test
    void aCheckpointReplacesTheLogBelowItEvenIfTheRewriteWasCutShort() throws IOException {
        SimStorage disk = new SimStorage();
        ReplicaStore store = new ReplicaStore(disk);
        store.apply(List.of(new Effects.SaveViewState(2, 2), new Effects.AppendEntries(entries(1, 8), 0)), true);
        Checkpoint checkpoint = new Checkpoint(5, entry(5).checksum(), new byte[] {4, 2});
        store.apply(List.of(new Effects.InstallCheckpoint(checkpoint, entries(6, 8), 0)), true);
        store.apply(List.of(new Effects.AppendEntries(entries(9, 9), 0), new Effects.TruncateAfter(8)), true);
        ReplicaStore.Loaded loaded = new ReplicaStore(disk).load();
        assertFalse(loaded.corrupt(), loaded.problem());
        assertEquals(checkpoint, loaded.checkpoint());
        assertEquals(entries(6, 8), loaded.log());
        assertEquals(8, loaded.lastOp());

        // A crash after the checkpoint was written but before the log was rewritten leaves the old log:
        // loading skips what the checkpoint holds.
        SimStorage crashed = new SimStorage();
        ReplicaStore before = new ReplicaStore(crashed);
        before.apply(List.of(new Effects.SaveViewState(2, 2), new Effects.AppendEntries(entries(1, 8), 0)), true);
        crashed.replace("checkpoint", ReplicaStore.encodeCheckpoint(checkpoint));
        ReplicaStore.Loaded partial = new ReplicaStore(crashed).load();
        assertFalse(partial.corrupt(), partial.problem());
        assertEquals(entries(6, 8), partial.log());
    }

    @Test
    void aCorruptCheckpointOrALogThatDoesNotContinueItIsReported() throws IOException {
        SimStorage disk = new SimStorage();
        ReplicaStore store = new ReplicaStore(disk);
        store.apply(List.of(new Effects.SaveViewState(1, 1), new Effects.InstallCheckpoint(new Checkpoint(3, entry(3).checksum(), new byte[10]), entries(4, 5), 0)), true);
        byte[] c = disk.read("checkpoint");
        c[20] ^= 1;
        disk.replace("checkpoint", c);
        assertTrue(new ReplicaStore(disk).load().problem().startsWith("checkpoint record corrupt"));
        disk.replace("checkpoint", ReplicaStore.encodeCheckpoint(new Checkpoint(1, entry(1).checksum(), new byte[0]))); // log starts at 4: a gap
        ReplicaStore.Loaded gap = new ReplicaStore(disk).load();
        assertTrue(gap.corrupt());
        assertTrue(gap.problem().contains("must continue the checkpoint at op 1"), gap.problem());
    }

    private static SimStorage copy(SimStorage from) throws IOException {
        SimStorage to = new SimStorage();
        for (String name : from.list()) to.replace(name, from.read(name));
        return to;
    }
}
