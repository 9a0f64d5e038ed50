package psr.consensus.part;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

import psr.consensus.core.Effects;
import psr.consensus.core.Effects.Outcome;
import psr.consensus.core.LogEntry;

/**
 * The frames a part sends over its transport besides replica messages: a request a backup forwards to the primary,
 * and the primary's answer to it. The layout is in this package's FORMAT.md ("Transport frames"); outcome codes
 * are fixed numbers, so a controller of an older version reads a newer one's answers during a rolling update.
 * Pure functions; any thread.
 */
final class ForwardingFrames {
    static final byte FRAME_REPLICA = 0, FRAME_FORWARD = 1, FRAME_FORWARD_REPLY = 2;

    /** Outcome codes on the wire, by {@link Outcome}; never renumbered, only added to. */
    static final byte CODE_OK = 0, CODE_NOT_PRIMARY = 1, CODE_STALE_REQUEST = 2, CODE_EVICTED = 3, CODE_BUSY = 4;

    private static final int FORWARD_HEADER = 1 + 8 + 8;
    private static final int REPLY_HEADER = 1 + 8 + 8 + 1 + 4 + 8 + 8 + 1;

    private ForwardingFrames() {}

    /** A request as the primary received it from the backup that forwarded it. */
    record Forward(long clientId, long requestNumber, byte[] command) {}

    static byte[] forward(long clientId, long requestNumber, byte[] command) {
        return ByteBuffer.allocate(FORWARD_HEADER + command.length).put(FRAME_FORWARD).putLong(clientId).putLong(requestNumber)
                .put(command).array();
    }

    /** The forwarded request in {@code frame} (which starts with {@link #FRAME_FORWARD}), or null when it is malformed. */
    static Forward readForward(byte[] frame) {
        if (frame.length < FORWARD_HEADER) return null;
        ByteBuffer b = ByteBuffer.wrap(frame, 1, frame.length - 1);
        long clientId = b.getLong();
        long requestNumber = b.getLong();
        if (clientId == 0 || clientId == LogEntry.GROUP || requestNumber < 0) return null;
        byte[] command = new byte[b.remaining()];
        b.get(command);
        return new Forward(clientId, requestNumber, command);
    }

    static byte[] reply(Effects.Reply reply) {
        byte[] result = reply.result() == null ? new byte[0] : reply.result();
        return ByteBuffer.allocate(REPLY_HEADER + result.length).put(FRAME_FORWARD_REPLY).putLong(reply.clientId())
                .putLong(reply.requestNumber()).put(code(reply.outcome())).putInt(reply.primaryHint()).putLong(reply.op())
                .putLong(reply.view()).put((byte) (reply.result() == null ? 0 : 1)).put(result).array();
    }

    /**
     * The answer in {@code frame} (which starts with {@link #FRAME_FORWARD_REPLY}), or null when it is malformed: too
     * short, an unknown outcome code, or a primary hint that is not a replica index of a part with {@code replicas}.
     */
    static Effects.Reply readReply(byte[] frame, int replicas) {
        if (frame.length < REPLY_HEADER) return null;
        try {
            ByteBuffer b = ByteBuffer.wrap(frame, 1, frame.length - 1);
            long clientId = b.getLong();
            long requestNumber = b.getLong();
            Outcome outcome = outcome(b.get());
            int hint = b.getInt();
            long op = b.getLong();
            long view = b.getLong();
            byte hasResult = b.get();
            if (outcome == null || hint < -1 || hint >= replicas || hasResult > 1 || hasResult < 0) return null;
            byte[] result = new byte[b.remaining()];
            b.get(result);
            return new Effects.Reply(clientId, requestNumber, outcome, hasResult == 1 ? result : null, hint, op, view);
        } catch (BufferUnderflowException e) {
            return null;
        }
    }

    static byte code(Outcome outcome) {
        return switch (outcome) {
            case OK -> CODE_OK;
            case NOT_PRIMARY -> CODE_NOT_PRIMARY;
            case STALE_REQUEST -> CODE_STALE_REQUEST;
            case EVICTED -> CODE_EVICTED;
            case BUSY -> CODE_BUSY;
        };
    }

    /** The outcome of {@code code}, or null for a code this version does not know. */
    static Outcome outcome(byte code) {
        return switch (code) {
            case CODE_OK -> Outcome.OK;
            case CODE_NOT_PRIMARY -> Outcome.NOT_PRIMARY;
            case CODE_STALE_REQUEST -> Outcome.STALE_REQUEST;
            case CODE_EVICTED -> Outcome.EVICTED;
            case CODE_BUSY -> Outcome.BUSY;
            default -> null;
        };
    }
}
