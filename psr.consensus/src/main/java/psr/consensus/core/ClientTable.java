package psr.consensus.core;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The client table of VR Revisited: for each client its latest request number and that request's result,
 * so a retried request is answered from here instead of being executed twice.
 *
 * <p>Every replica changes the table only when it applies a committed operation, so all replicas evict the
 * same clients at the same op-number (the least recently used one, once {@code capacity} is exceeded). A
 * client that is not in the table may only start a session with request number 1; any other number means
 * its session was evicted and it gets {@link Effects.Outcome#SESSION_EXPIRED} without execution.
 */
final class ClientTable {

    /** What the table says about one request. */
    enum Verdict { EXECUTE, DUPLICATE, STALE, SESSION_EXPIRED }

    record Session(long requestNumber, byte[] result, long op) {}

    private final int capacity;
    private final LinkedHashMap<Long, Session> sessions = new LinkedHashMap<>();

    ClientTable(int capacity) {
        this.capacity = capacity;
    }

    Verdict judge(long clientId, long requestNumber) {
        Session session = sessions.get(clientId);
        if (session == null) return requestNumber == 1 ? Verdict.EXECUTE : Verdict.SESSION_EXPIRED;
        if (requestNumber == session.requestNumber) return Verdict.DUPLICATE;
        if (requestNumber < session.requestNumber) return Verdict.STALE;
        return Verdict.EXECUTE;
    }

    /** The cached result of the client's latest request, or null when not known. */
    Session session(long clientId) {
        return sessions.get(clientId);
    }

    /** Records an executed request; it becomes the most recently used and the oldest session may go. */
    void record(long clientId, long requestNumber, byte[] result, long op) {
        sessions.remove(clientId);
        sessions.put(clientId, new Session(requestNumber, result, op));
        if (sessions.size() > capacity) {
            Map.Entry<Long, Session> eldest = sessions.entrySet().iterator().next();
            sessions.remove(eldest.getKey());
        }
    }

    int size() {
        return sessions.size();
    }

    /** The table in least-recently-used order, for a checkpoint. */
    byte[] encode() {
        int bytes = 4;
        for (Session s : sessions.values()) bytes += 8 + 8 + 8 + 4 + (s.result() == null ? 0 : s.result().length);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(bytes);
        b.putInt(sessions.size());
        for (Map.Entry<Long, Session> e : sessions.entrySet()) {
            Session s = e.getValue();
            b.putLong(e.getKey()).putLong(s.requestNumber()).putLong(s.op());
            if (s.result() == null) {
                b.putInt(-1);
            } else {
                b.putInt(s.result().length).put(s.result());
            }
        }
        return b.array();
    }

    /** Replaces the table with one {@link #encode()} made; throws IllegalArgumentException if malformed. */
    void decode(java.nio.ByteBuffer b) {
        LinkedHashMap<Long, Session> restored = new LinkedHashMap<>();
        try {
            int count = b.getInt();
            if (count < 0 || count > capacity && count > b.remaining() / 28) throw new IllegalArgumentException("client table of " + count + " sessions");
            for (int i = 0; i < count; i++) {
                long clientId = b.getLong();
                long requestNumber = b.getLong();
                long op = b.getLong();
                int length = b.getInt();
                if (length < -1 || length > b.remaining()) throw new IllegalArgumentException("client table result of " + length + " bytes");
                byte[] result = null;
                if (length >= 0) {
                    result = new byte[length];
                    b.get(result);
                }
                restored.put(clientId, new Session(requestNumber, result, op));
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("client table ends early");
        }
        sessions.clear();
        sessions.putAll(restored);
        while (sessions.size() > capacity) sessions.remove(sessions.keySet().iterator().next());
    }
}
