package psr.api.state;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Whiteboard service: register it with {@code psr.part=<name>} to see every committed change of that part,
 * once and in op-number order, from the moment it is bound.
 *
 * <p>Called on one delivery thread per part, never concurrently for one part. It may take its time (a slow
 * listener delays only later deliveries, never replication), but it must not wait for the part itself to
 * commit something, or it waits for ever. An exception is logged and delivery goes on.
 */
@ConsumerType
public interface ChangeListener {
    void changed(Change change);
}
