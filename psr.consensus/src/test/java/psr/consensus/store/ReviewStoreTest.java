package psr.consensus.store;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import psr.api.osal.DurableStorage;
import psr.consensus.core.Checkpoint;
import psr.consensus.core.Effects;
import psr.consensus.core.LogEntry;
import psr.consensus.sim.SimStorage;

/** Review: crash points inside one persistence step that SimStorage (one atomic batch) never produces. */
class ReviewStoreTest {

    /** A storage that "loses power" (throws, and ignores everything after) once the checkpoint file was replaced. */
    static final class CrashAfterCheckpoint implements DurableStorage {
        final SimStorage disk;
        boolean dead;

        CrashAfterCheckpoint(SimStorage disk) {
            this.disk = disk;
        }

        private void alive() throws IOException {
            if (dead) throw new IOException("power lost");
        }

        @Override public void append(String n, byte[] d, int o, int l) throws IOException { alive(); disk.append(n, d, o, l); }
        @Override public void sync(String n) throws IOException { alive(); disk.sync(n); }
        @Override public void replace(String n, byte[] c) throws IOException {
            alive();
            disk.replace(n, c);
            if (n.equals(ReplicaStore.CHECKPOINT_FILE)) dead = true;
        }
        @Override public void truncate(String n, long l) throws IOException { alive(); disk.truncate(n, l); }
        @Override public byte[] read(String n) throws IOException { return disk.read(n); }
        @Override public List<String> list() { return disk.list(); }
        @Override public void delete(String n) throws IOException { alive(); disk.delete(n); }
    }

    static List<LogEntry> chain(long view, long clientId, long from, long to, long parent) {
        List<LogEntry> out = new ArrayList<>();
        for (long op = from; op <= to; op++) {
            LogEntry e = new LogEntry(view, op, parent, clientId, op, ("command " + op).getBytes());
            out.add(e);
            parent = e.checksum();
        }
        return out;
    }

    /**
     * A replica holds ops 1 to 5 (ops 4 and 5 of its own, never committed) and installs a peer's checkpoint at op 4
     * (another op 4): Replica.installCheckpoint drops its own op 5, which does not chain onto the checkpoint. Power is
     * lost after the checkpoint file was replaced, before the log was rewritten (two separate replace calls). On load,
     * the old record of op 5 does not name the checkpoint's entry as its parent and the whole disk is declared
     * corrupt: the replica wipes it and must recover from its peers, losing its view-state promises too.
     */
    @Test
    void crashBetweenCheckpointAndLogRewriteIsNotCorruption() throws IOException {
        SimStorage disk = new SimStorage();
        ReplicaStore store = new ReplicaStore(disk);
        List<LogEntry> common = chain(0, 5, 1, 3, LogEntry.ROOT);
        List<LogEntry> own = chain(0, 6, 4, 5, common.get(2).checksum());
        List<LogEntry> theirs = chain(1, 7, 4, 4, common.get(2).checksum());
        List<LogEntry> mine = new ArrayList<>(common);
        mine.addAll(own);
        store.apply(List.of(new Effects.SaveViewState(1, 0), new Effects.AppendEntries(mine, 3)), true);

        ReplicaStore crashing = new ReplicaStore(new CrashAfterCheckpoint(disk));
        crashing.load();
        Checkpoint c = new Checkpoint(4, theirs.get(0).checksum(), new byte[] {0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0});
        try {
            crashing.apply(List.of(new Effects.InstallCheckpoint(c, List.of(), 4)), true);
        } catch (IOException expected) {
            // power lost
        }
        disk.crash(new java.util.Random(1), false);
        ReplicaStore.Loaded loaded = new ReplicaStore(disk).load();
        assertFalse(loaded.corrupt(), "a crash between the two writes of one checkpoint install reads as corruption: " + loaded.problem());
    }
}
