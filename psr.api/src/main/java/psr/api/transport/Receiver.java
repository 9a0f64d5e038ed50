package psr.api.transport;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * Takes messages for one part from a {@link Transport}.
 */
@ConsumerType
public interface Receiver {

    /**
     * Called on a transport thread for each authenticated message for this receiver's part. Must not block
     * and must not throw: hand the message to the part's event loop and return. The array belongs to the
     * receiver.
     */
    void receive(int fromNode, byte[] message);
}
