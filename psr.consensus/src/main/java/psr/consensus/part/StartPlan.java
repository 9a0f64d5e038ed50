package psr.consensus.part;

import psr.consensus.store.ReplicaStore;

/**
 * How a replica starts, decided from its configuration and what its storage holds: a pure function, so every case
 * is a plain test ({@code StartPlanTest}).
 *
 * @param kind   which {@code Replica} factory to use
 * @param wipe   erase the storage first (its contents are not trusted)
 * @param reason what an operator reads in the log, e.g. "restarted from storage: view 3, 120 operations"
 * @param warn   whether that line is a warning (the node lost its disk state)
 */
record StartPlan(Kind kind, boolean wipe, String reason, boolean warn) {

    enum Kind {
        /** A new group: the first start of a part (state empty, view 0). */
        BOOTSTRAP,
        /** Take the state from the other replicas before taking part (VR recovery). */
        RECOVER,
        /** Go on from the view, checkpoint and log on disk. */
        RESTART
    }

    /**
     * @param loaded what the storage held; null for a diskless part
     */
    static StartPlan of(PartSettings.Durability durability, PartSettings.StartMode mode, ReplicaStore.Loaded loaded) {
        if (durability == PartSettings.Durability.DISKLESS || loaded == null) {
            return mode == PartSettings.StartMode.NEW_GROUP
                    ? new StartPlan(Kind.BOOTSTRAP, false, "diskless, start.mode=new-group: starting a new group", false)
                    : new StartPlan(Kind.RECOVER, false, "diskless: recovering the state from the other replicas", false);
        }
        if (loaded.corrupt()) {
            return new StartPlan(Kind.RECOVER, true, "storage corrupt (" + loaded.problem() + "): recovering the state from the other replicas", true);
        }
        if (loaded.empty()) {
            return mode == PartSettings.StartMode.RECOVER
                    ? new StartPlan(Kind.RECOVER, false, "empty storage, start.mode=recover: recovering the state from the other replicas", false)
                    : new StartPlan(Kind.BOOTSTRAP, false, "empty storage: starting a new group", false);
        }
        return new StartPlan(Kind.RESTART, false, "restarted from storage: view " + loaded.view() + ", " + loaded.lastOp() + " operations"
                + (loaded.checkpoint() != null ? " (checkpoint at op " + loaded.checkpoint().op() + ")" : "")
                + (loaded.tornBytesDropped() > 0 ? ", " + loaded.tornBytesDropped() + " torn bytes of an unsynced write dropped" : ""), false);
    }
}
