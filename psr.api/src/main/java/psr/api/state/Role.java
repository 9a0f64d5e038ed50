package psr.api.state;

/** What a replica is doing for its part. */
public enum Role {
    /** Serves writes and linearizable reads. */
    PRIMARY,
    /** Follows the primary. */
    BACKUP,
    /** Taking part in a view change. */
    VIEW_CHANGE,
    /** Learning the state from peers after losing it; serves nothing. */
    RECOVERING,
    /** The primary of its view, but not serving: not quorum-connected, or a newer view started without it. */
    PRIMARY_NOT_SERVING,
    /** Not running (stopped or not yet started). */
    STOPPED
}
