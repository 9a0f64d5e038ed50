package psr.consensus.core;

/**
 * Something an operator asks about after an incident, as the replica saw it happen: emitted in
 * {@link Effects#events()} of the batch in which it happened, for the driver to log. Replicas are named by their
 * index in the group (the driver says node ids); durations are in ticks.
 */
public sealed interface ReplicaEvent {

    /** This replica left view {@code fromView} for a view change to {@code view} (led by {@code leader}), for {@code reason}. */
    record ViewChangeStarted(long view, long fromView, int leader, String reason) implements ReplicaEvent {}

    /**
     * A backup gave up on its primary: nothing heard for {@code silentTicks}; it campaigns if it may (VSR-QC: only
     * while quorum-connected).
     */
    record PrimarySilent(long view, int primary, long silentTicks, boolean quorumConnected) implements ReplicaEvent {}

    /**
     * View {@code view} started with this replica as primary. {@code ticksWithoutPrimary}: how long this replica had
     * been without a serving primary (since it last heard one, or served as one), -1 when it has not had one since it
     * started: about how long the part could not commit, as seen from here.
     */
    record BecamePrimary(long view, long op, long commit, long ticksWithoutPrimary) implements ReplicaEvent {}

    /** This replica is a backup of {@code view} (led by {@code primary}); {@code recovered}: it came out of recovery. */
    record BecameBackup(long view, int primary, long op, long ticksWithoutPrimary, boolean recovered) implements ReplicaEvent {}

    /** The primary stopped serving: not quorum-connected for an election timeout. */
    record Abdicated(long view) implements ReplicaEvent {}

    /** An abdicated primary is quorum-connected again and serves. */
    record ServingAgain(long view) implements ReplicaEvent {}

    /** A ping round trip to {@code peer} completed within the window again ({@code connected}), or none did any more. */
    record PeerConnectivity(int peer, boolean connected) implements ReplicaEvent {}

    /** State transfer towards view {@code view} started: asking {@code source} for what follows op {@code afterOp}. */
    record StateTransferStarted(long view, int source, long afterOp) implements ReplicaEvent {}

    /** A replica without its memory started the Recovery protocol. */
    record RecoveryStarted(String why) implements ReplicaEvent {}

    /** Leadership transfer to {@code target}: {@code stage} is "started", "announced" (the target may take over) or "abandoned". */
    record Handover(long view, int target, String stage) implements ReplicaEvent {}
}
