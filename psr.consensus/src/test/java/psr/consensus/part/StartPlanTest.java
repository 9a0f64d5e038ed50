package psr.consensus.part;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import psr.consensus.core.Checkpoint;
import psr.consensus.core.LogEntry;
import psr.consensus.part.PartSettings.Durability;
import psr.consensus.part.PartSettings.StartMode;
import psr.consensus.part.StartPlan.Kind;
import psr.consensus.store.ReplicaStore;

/** Every way a replica can find its storage, and how it starts from it. */
class StartPlanTest {
    static final ReplicaStore.Loaded EMPTY = new ReplicaStore.Loaded(true, 0, 0, null, List.of(), 0, false, "", 0);

    static ReplicaStore.Loaded withLog(int entries, Checkpoint checkpoint, long torn) {
        List<LogEntry> log = new java.util.ArrayList<>();
        long first = checkpoint == null ? 1 : checkpoint.op() + 1;
        for (int i = 0; i < entries; i++) log.add(new LogEntry(3, first + i, 0, 5, 1 + i, new byte[] {1}));
        return new ReplicaStore.Loaded(false, 3, 3, checkpoint, log, first + entries - 1, false, "", torn);
    }

    @Test
    void emptyStorageStartsANewGroupUnlessTheConfigurationSaysRecover() {
        assertEquals(new StartPlan(Kind.BOOTSTRAP, false, "empty storage: starting a new group", false),
                StartPlan.of(Durability.DURABLE, StartMode.AUTO, EMPTY));
        assertEquals(Kind.BOOTSTRAP, StartPlan.of(Durability.DURABLE, StartMode.NEW_GROUP, EMPTY).kind());
        assertEquals(new StartPlan(Kind.RECOVER, false, "empty storage, start.mode=recover: recovering the state from the other replicas", false),
                StartPlan.of(Durability.DURABLE, StartMode.RECOVER, EMPTY));
    }

    @Test
    void storageWithALogRestartsFromItWhateverTheStartMode() {
        for (StartMode mode : StartMode.values()) {
            assertEquals(new StartPlan(Kind.RESTART, false, "restarted from storage: view 3, 4 operations", false),
                    StartPlan.of(Durability.DURABLE, mode, withLog(4, null, 0)), mode.toString());
        }
        assertEquals("restarted from storage: view 3, 12 operations (checkpoint at op 10), 17 torn bytes of an unsynced write dropped",
                StartPlan.of(Durability.DURABLE, StartMode.AUTO, withLog(2, new Checkpoint(10, 3, new byte[0]), 17)).reason());
    }

    @Test
    void corruptStorageIsWipedAndTheStateRecoveredWithAWarning() {
        ReplicaStore.Loaded corrupt = new ReplicaStore.Loaded(false, 0, 0, null, List.of(), 0, true, "record 7: CRC mismatch", 0);
        for (StartMode mode : StartMode.values()) {
            assertEquals(new StartPlan(Kind.RECOVER, true, "storage corrupt (record 7: CRC mismatch): recovering the state from the other replicas", true),
                    StartPlan.of(Durability.DURABLE, mode, corrupt), "never a new group over a lost state: " + mode);
        }
    }

    @Test
    void aDisklessReplicaRecoversUnlessItIsToStartANewGroup() {
        assertEquals(new StartPlan(Kind.RECOVER, false, "diskless: recovering the state from the other replicas", false),
                StartPlan.of(Durability.DISKLESS, StartMode.AUTO, null));
        assertEquals(Kind.RECOVER, StartPlan.of(Durability.DISKLESS, StartMode.RECOVER, null).kind());
        assertEquals(new StartPlan(Kind.BOOTSTRAP, false, "diskless, start.mode=new-group: starting a new group", false),
                StartPlan.of(Durability.DISKLESS, StartMode.NEW_GROUP, null));
    }
}
