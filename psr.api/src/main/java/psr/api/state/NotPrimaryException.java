package psr.api.state;

/** A write reached a replica that is not the serving primary and forwarding is off (or impossible). */
public class NotPrimaryException extends StateException {
    private static final long serialVersionUID = 1L;
    private final int primaryNode;

    public NotPrimaryException(String part, int primaryNode, String detail) {
        super("part " + part + ": this replica is not the primary" + (primaryNode >= 0 ? "; the primary is node " + primaryNode : "; no primary is known now")
                + (detail.isEmpty() ? "" : " (" + detail + ")"));
        this.primaryNode = primaryNode;
    }

    /** The primary's node id, or -1 when none is known. */
    public int primaryNode() {
        return primaryNode;
    }
}
