package psr.api.state;

import org.osgi.annotation.versioning.ConsumerType;
import org.osgi.annotation.versioning.ProviderType;

/**
 * Whiteboard service: a periodic control task that runs only where the part's primary is. Register it with
 * the properties {@code psr.part=<name>}, {@code psr.task=<task name>} (1 to 64 characters from A-Z a-z
 * 0-9 . - _) and {@code psr.task.period.ms=<period>} (at least 10).
 *
 * <p>Each run is one numbered cycle. What the task writes through {@link TaskCycle} commits atomically
 * together with the cycle number, so after a failover the new primary resumes with the next cycle from the
 * committed state (bumpless): no cycle runs twice to completion, none goes back.
 */
@ConsumerType
public interface PrimaryTask {

    /**
     * Runs one cycle. Called on a task thread of the part, never concurrently for one task. Read the committed
     * state through {@code cycle}, compute, and stage writes; they commit when this method returns normally.
     * A throw abandons the cycle (nothing is written) and is logged; the next period tries the same cycle again.
     */
    void run(TaskCycle cycle);

    /** What one cycle sees and writes. */
    @ProviderType
    interface TaskCycle {
        /** The cycle number: 1 for the first cycle ever of this task in this part, then one more each committed cycle. */
        long number();

        /** The committed value of {@code key} as this primary has it now. */
        java.util.Optional<Value> read(String key);

        /** Stages a write; it commits with the cycle. */
        void put(String key, Value value);

        /** Stages a delete; it commits with the cycle. */
        void delete(String key);
    }
}
