package psr.consensus.core;

/** A replica's status, as in VR Revisited section 4. */
public enum Status {
    /** Processing requests in its view, as primary or backup. */
    NORMAL,
    /** Taking part in a view change; accepts no operations until the view starts. */
    VIEW_CHANGE,
    /** Lost its memory (diskless restart or a corrupt disk) and is learning the state from peers; serves nothing. */
    RECOVERING
}
