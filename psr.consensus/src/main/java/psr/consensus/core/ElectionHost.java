package psr.consensus.core;

/**
 * What an {@link Election} may see and do of its replica. Implemented by {@link Replica} only; every call runs on
 * the replica's thread inside the current input, and its messages and persistence go out with that input's effects.
 */
public interface ElectionHost {
    ReplicaConfig config();

    int self();

    long now();

    long view();

    Status status();

    /** The replica's commit-number and last op. */
    long commit();

    long lastOp();

    boolean quorumConnected();

    /** When this backup last heard a Prepare or Commit from the primary of its view. */
    long lastHeardPrimaryTick();

    /** Enters a view change of {@code newView} (above ours) as a member; persisted at once. {@code reason} is for the log. */
    void enterViewChange(long newView, String reason);

    /** Enters a view change of {@code newView} (which we lead) as its candidate and asks everyone to join. */
    void startCandidacy(long newView);

    /** Sends our DoViewChange to {@code to}, the candidate, which holds the committed entries up to {@code candidateBase}. */
    void sendDoViewChange(int to, long candidateBase);

    /** As the candidate of our view change: our own log now counts as one DoViewChange (plain VR). */
    void countOwnDoViewChange();

    /** A primary stops serving: requests waiting here are answered NOT_PRIMARY. */
    void stopServing();

    void send(int to, Message message);

    void broadcast(Message message);

    /** Records a well-formed message not acted on, with the reason (see {@link Replica#lastIgnoreReason()}). */
    void ignore(String reason);

    /** Records a malformed or impossible message, with the reason (see {@link Replica#lastDropReason()}). */
    void drop(String reason);
}
