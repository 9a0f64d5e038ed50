package psr.api.state;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One part of the replicated state, as a service with the property {@code psr.part=<name>}.
 *
 * <p><b>Blocking.</b> No method blocks: writes and linearizable reads return a stage completed later, on a
 * PSR thread that is not the replica's own (so dependent stages may take their time, but should not wait
 * for this part to commit something else).
 *
 * <p><b>Durability.</b> When the stage of {@link #submit} completes normally, the operation is committed:
 * held by a majority of replicas (on disk, in durable mode) and applied at the primary; it survives any
 * failure of fewer than a majority. A stage that fails with {@link StateException} other than
 * {@link OutcomeUnknownException} means it was not committed.
 */
@ProviderType
public interface PartState {

    /** The part's name. */
    String part();

    /**
     * Replicates and applies {@code operation}. A replica that is not the primary forwards it to the primary
     * or fails with {@link NotPrimaryException}, as configured.
     */
    CompletionStage<OperationResult> submit(Operation operation);

    /** Reads one key with the given consistency; empty when absent. */
    CompletionStage<Optional<Value>> read(String key, ReadConsistency consistency);

    /**
     * This replica's committed values of the keys starting with {@code prefix} (LOCAL consistency), sorted by key.
     *
     * @throws StateException while a restarted replica has not yet applied everything it had applied before
     */
    Map<String, Value> readLocal(String prefix);

    /** A snapshot of this replica's status. */
    PartStatus status();

    /**
     * Maintenance switch-over: asks this replica, which must be the serving primary, to hand the part over to
     * the replica on {@code node}. New writes wait while the successor catches up; the stage completes with the
     * new primary's node id once that replica leads, or fails with a {@link StateException} saying why not
     * (not the primary, unknown node, no new view within two election timeouts: then this primary serves again).
     */
    CompletionStage<Integer> transferPrimary(int node);

    /**
     * Starts following this replica's committed state (see {@link StateFollower} for the order and threads).
     * Returns at once; the snapshot follows on the delivery thread. Following costs one copy of the part's
     * state for the snapshot, then nothing beyond the change stream itself.
     *
     * @throws StateException when the replica is stopped
     * @since 1.2
     */
    Following follow(StateFollower follower);

    /** A follower's registration. */
    @ProviderType
    interface Following {
        /** Stops the deliveries to the follower; one already running completes. Idempotent. */
        void close();
    }
}
