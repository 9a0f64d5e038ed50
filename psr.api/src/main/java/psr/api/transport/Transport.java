package psr.api.transport;

import java.util.Map;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Carries messages between the nodes of a PSR cluster, on behalf of the replica groups (parts) running on
 * them. Node ids are small integers fixed by configuration and the same on every node; a part's replicas
 * are a list of node ids.
 *
 * <p><b>Blocking.</b> {@link #send} never blocks and never throws: it queues or drops. Messages may be lost,
 * duplicated or reordered; the protocol above copes. A transport delivers only messages it could
 * authenticate as sent by the node they claim to come from.
 *
 * <p><b>Ownership.</b> {@link #send} copies or fully consumes {@code message} before it returns; the caller
 * may reuse the array. A received array belongs to the receiver.
 */
@ProviderType
public interface Transport {

    /** This node's id. */
    int localNode();

    /**
     * Sends {@code message} to the replica of {@code part} on node {@code toNode}. Messages larger than the
     * transport's datagram size are fragmented; messages larger than {@link #maxMessageBytes()}, or to an
     * unknown node, are dropped and counted.
     */
    void send(String part, int toNode, byte[] message);

    /** The largest message {@link #send} accepts. */
    int maxMessageBytes();

    /**
     * Delivers messages for {@code part} to {@code receiver} until the returned registration is closed. At most
     * one receiver per part: a second registration for the same part replaces the first.
     */
    Registration register(String part, Receiver receiver);

    /** Counters since the transport started: sent, received, and each drop reason. Names are stable. */
    Map<String, Long> counters();

    /** Stops delivery to a receiver. */
    @ProviderType
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }
}
