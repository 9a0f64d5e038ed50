package psr.consensus.core;

/**
 * Settings of one replica. All durations are in ticks of the driver's clock.
 *
 * @param replicaCount            number of replicas in the group, 1 to 9
 * @param self                    this replica's index, 0 to {@code replicaCount - 1}
 * @param heartbeatTicks          how often pings and idle commits go out
 * @param connectivityWindowTicks a peer counts as connected while a ping round trip to it completed within this many ticks
 * @param electionTimeoutTicks    a backup that has not heard its primary this long campaigns (if QC); a primary not QC this long abdicates
 * @param viewChangeTimeoutTicks  a view change that has not completed in this long is retried
 * @param transferRetryTicks      a state transfer or recovery request unanswered this long is sent again
 * @param clientTableCapacity     most clients remembered for at-most-once execution; the least recently used is evicted
 * @param checkpointIntervalOps   take a checkpoint and drop the log below it every this many applied operations (0: never)
 * @param messageBudgetBytes      about how many bytes of log entries one message may carry: state transfer sends
 *                                the log in chunks of this size, and a primary holds at most half of it uncommitted
 *                                (further requests get {@link Effects.Outcome#BUSY} until commits catch up)
 */
public record ReplicaConfig(int replicaCount, int self, int heartbeatTicks, int connectivityWindowTicks,
        int electionTimeoutTicks, int viewChangeTimeoutTicks, int transferRetryTicks, int clientTableCapacity,
        int checkpointIntervalOps, int messageBudgetBytes) {

    public ReplicaConfig {
        require(replicaCount >= 1 && replicaCount <= 9, "replicaCount", replicaCount, "1 to 9");
        require(self >= 0 && self < replicaCount, "self", self, "0 to " + (replicaCount - 1));
        require(heartbeatTicks >= 1, "heartbeatTicks", heartbeatTicks, ">= 1");
        require(connectivityWindowTicks >= 2 * heartbeatTicks, "connectivityWindowTicks", connectivityWindowTicks,
                ">= 2 * heartbeatTicks (" + 2 * heartbeatTicks + ")");
        require(electionTimeoutTicks > connectivityWindowTicks, "electionTimeoutTicks", electionTimeoutTicks,
                "> connectivityWindowTicks (" + connectivityWindowTicks + ")");
        require(viewChangeTimeoutTicks >= heartbeatTicks, "viewChangeTimeoutTicks", viewChangeTimeoutTicks, ">= heartbeatTicks");
        require(transferRetryTicks >= 1, "transferRetryTicks", transferRetryTicks, ">= 1");
        require(clientTableCapacity >= 1, "clientTableCapacity", clientTableCapacity, ">= 1");
        require(checkpointIntervalOps >= 0, "checkpointIntervalOps", checkpointIntervalOps, ">= 0 (0: never)");
        require(messageBudgetBytes >= 4096, "messageBudgetBytes", messageBudgetBytes, ">= 4096");
    }

    /** Defaults for a 10 ms tick: heartbeat 50 ms, window 150 ms, election 500 ms, view change 500 ms. */
    public static ReplicaConfig defaults(int replicaCount, int self) {
        return new ReplicaConfig(replicaCount, self, 5, 15, 50, 50, 20, 4096, 10_000, 512 * 1024);
    }

    public ReplicaConfig withSelf(int index) {
        return new ReplicaConfig(replicaCount, index, heartbeatTicks, connectivityWindowTicks, electionTimeoutTicks,
                viewChangeTimeoutTicks, transferRetryTicks, clientTableCapacity, checkpointIntervalOps, messageBudgetBytes);
    }

    public ReplicaConfig withClientTableCapacity(int capacity) {
        return new ReplicaConfig(replicaCount, self, heartbeatTicks, connectivityWindowTicks, electionTimeoutTicks,
                viewChangeTimeoutTicks, transferRetryTicks, capacity, checkpointIntervalOps, messageBudgetBytes);
    }

    public ReplicaConfig withCheckpointInterval(int ops) {
        return new ReplicaConfig(replicaCount, self, heartbeatTicks, connectivityWindowTicks, electionTimeoutTicks,
                viewChangeTimeoutTicks, transferRetryTicks, clientTableCapacity, ops, messageBudgetBytes);
    }

    public ReplicaConfig withMessageBudget(int bytes) {
        return new ReplicaConfig(replicaCount, self, heartbeatTicks, connectivityWindowTicks, electionTimeoutTicks,
                viewChangeTimeoutTicks, transferRetryTicks, clientTableCapacity, checkpointIntervalOps, bytes);
    }

    /** About how many bytes a log entry takes in a message. */
    public static int entryBytes(LogEntry e) {
        return 44 + e.command().length;
    }

    /** A majority: the size of every quorum (f + 1 when replicaCount = 2f + 1). */
    public int quorum() {
        return Quorum.size(replicaCount);
    }

    /** The primary of {@code view}: round-robin over the replica indexes. */
    public int primaryOf(long view) {
        return (int) (view % replicaCount);
    }

    private static void require(boolean ok, String name, long value, String allowed) {
        if (!ok) throw new IllegalArgumentException(name + " = " + value + " is not allowed: expected " + allowed);
    }
}
