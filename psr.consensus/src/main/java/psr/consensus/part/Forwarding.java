package psr.consensus.part;

import java.util.HashMap;

import psr.api.transport.Transport;
import psr.consensus.core.Effects;
import psr.consensus.core.Request;

/**
 * Forwarding of writes and linearizable reads from a backup to the primary ({@code forward.writes}), both ends: a
 * backup sends a request under its own client session ({@link #forward}); the primary submits it to its replica as if
 * it were its own ({@link #received}) and sends the replica's answer back to the node it came from ({@link #relay}).
 * The frames are in {@link ForwardingFrames} and FORMAT.md. Replica loop only.
 */
final class Forwarding {
    private final String part;
    private final Transport transport;
    /** Requests this primary took from other nodes, by client session and request number: whom to answer. */
    private final HashMap<ClientSessions.RequestKey, Integer> forwardedFrom = new HashMap<>();

    Forwarding(String part, Transport transport) {
        this.part = part;
        this.transport = transport;
    }

    void forward(int primaryNode, long clientId, long requestNumber, byte[] command) {
        transport.send(part, primaryNode, ForwardingFrames.forward(clientId, requestNumber, command));
    }

    /** The request in a forward frame from {@code fromNode}, remembered so its answer goes back; null when malformed. */
    Request received(int fromNode, byte[] frame) {
        ForwardingFrames.Forward f = ForwardingFrames.readForward(frame);
        if (f == null) return null;
        forwardedFrom.put(new ClientSessions.RequestKey(f.clientId(), f.requestNumber()), fromNode);
        return new Request(f.clientId(), f.requestNumber(), f.command());
    }

    /** Sends {@code reply} back when it answers a forwarded request (and says so); false for this node's own requests. */
    boolean relay(Effects.Reply reply) {
        Integer toNode = forwardedFrom.remove(new ClientSessions.RequestKey(reply.clientId(), reply.requestNumber()));
        if (toNode == null) return false;
        transport.send(part, toNode, ForwardingFrames.reply(reply));
        return true;
    }
}
