package psr.consensus.core;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The client table of VR Revisited, with sessions registered through the log (as TigerBeetle registers them):
 * for each registered client its latest request number and that request's result, so a retried request is
 * answered from here instead of being executed twice.
 *
 * <p>Every change happens when a replica applies a committed entry, so all replicas hold the same table at the
 * same op-number:
 * <ul>
 * <li>a client's first request is its registration ({@link LogEntry#REGISTER}); a request number of 1 or more
 * from a client without a session never executes ({@link Verdict#EVICTED}), because its session may have been
 * evicted after an earlier copy of that very request executed;</li>
 * <li>a session's request numbers start above the op-number that registered it (the client learns it from the
 * registration's reply), so a late copy of a request of an evicted session is stale even if a late copy of that
 * session's registration registered the client again: every request the old session executed committed before the
 * new registration, at an op at least its number;</li>
 * <li>registering a client when the table is full evicts the session least recently used by the log;</li>
 * <li>the capacity is the group's committed configuration ({@link #configure}, from a {@link LogEntry#GROUP} entry
 * in the log), never a per-node setting; until one is applied it is {@link #DEFAULT_CAPACITY}.</li>
 * </ul>
 * Not thread-safe: the replica's thread owns it.
 */
final class ClientTable {

    /** The capacity until the group's configuration entry is applied. */
    static final int DEFAULT_CAPACITY = 4096;
    /** The most sessions a committed configuration may ask for. */
    static final int MAX_CAPACITY = 1_000_000;

    /** What the table says about a request with a number of 1 or more. */
    enum Verdict { EXECUTE, DUPLICATE, STALE, EVICTED }

    /**
     * A registered client: its latest request number (the registration's op-number right after registering), that
     * request's result and the op where it committed, and the op-number of the registration.
     */
    record Session(long requestNumber, byte[] result, long op, long registeredAt) {}

    private int capacity = DEFAULT_CAPACITY;
    /** True once a configuration entry was applied (so a primary need not propose one). */
    private boolean configured;
    /** Sessions in the order the log last used them, least recent first. */
    private final LinkedHashMap<Long, Session> sessions = new LinkedHashMap<>();

    Verdict judge(long clientId, long requestNumber) {
        Session session = sessions.get(clientId);
        if (session == null) return Verdict.EVICTED;
        if (requestNumber == session.requestNumber) return Verdict.DUPLICATE;
        if (requestNumber < session.requestNumber) return Verdict.STALE;
        return Verdict.EXECUTE;
    }

    boolean registered(long clientId) {
        return sessions.containsKey(clientId);
    }

    /** The client's session, or null when it has none. */
    Session session(long clientId) {
        return sessions.get(clientId);
    }

    /**
     * Applies a registration committed at {@code op}. A client that already has a session keeps it unchanged (a
     * registration retried at another primary may be in the log twice); otherwise, when the table is full, the
     * least recently used session is evicted first.
     */
    void register(long clientId, long op) {
        if (sessions.containsKey(clientId)) return;
        while (sessions.size() >= capacity) evictEldest();
        sessions.put(clientId, new Session(op, new byte[0], op, op));
    }

    /** Records an executed request; its session becomes the most recently used. */
    void record(long clientId, long requestNumber, byte[] result, long op) {
        Session old = sessions.remove(clientId);
        sessions.put(clientId, new Session(requestNumber, result, op, old == null ? op : old.registeredAt()));
    }

    /** Applies a committed configuration: the new capacity, evicting the least recently used sessions above it. */
    void configure(int newCapacity) {
        if (newCapacity < 1 || newCapacity > MAX_CAPACITY) throw new IllegalArgumentException("client table capacity " + newCapacity);
        capacity = newCapacity;
        configured = true;
        while (sessions.size() > capacity) evictEldest();
    }

    private void evictEldest() {
        Iterator<Map.Entry<Long, Session>> it = sessions.entrySet().iterator();
        it.next();
        it.remove();
    }

    int capacity() {
        return capacity;
    }

    boolean configured() {
        return configured;
    }

    int size() {
        return sessions.size();
    }

    /** The configuration command a primary appends: the capacity, 4 bytes. */
    static byte[] configureCommand(int capacity) {
        return ByteBuffer.allocate(4).putInt(capacity).array();
    }

    /** The capacity a configuration command asks for; throws IllegalArgumentException if malformed or out of range. */
    static int capacityOf(byte[] command) {
        if (command.length != 4) throw new IllegalArgumentException("configuration command of " + command.length + " bytes; expected 4");
        int c = ByteBuffer.wrap(command).getInt();
        if (c < 1 || c > MAX_CAPACITY) throw new IllegalArgumentException("client table capacity " + c + "; expected 1 to " + MAX_CAPACITY);
        return c;
    }

    /** The table (configuration, then sessions in least-recently-used order), for a checkpoint. */
    byte[] encode() {
        int bytes = 4 + 1 + 4;
        for (Session s : sessions.values()) bytes += 8 + 8 + 8 + 8 + 4 + (s.result() == null ? 0 : s.result().length);
        ByteBuffer b = ByteBuffer.allocate(bytes);
        b.putInt(capacity).put((byte) (configured ? 1 : 0)).putInt(sessions.size());
        for (Map.Entry<Long, Session> e : sessions.entrySet()) {
            Session s = e.getValue();
            b.putLong(e.getKey()).putLong(s.requestNumber()).putLong(s.op()).putLong(s.registeredAt());
            if (s.result() == null) {
                b.putInt(-1);
            } else {
                b.putInt(s.result().length).put(s.result());
            }
        }
        return b.array();
    }

    /** A table decoded from what {@link #encode()} made, not yet installed; throws IllegalArgumentException if malformed. */
    static Decoded decode(ByteBuffer b) {
        LinkedHashMap<Long, Session> restored = new LinkedHashMap<>();
        int capacity;
        boolean configured;
        try {
            capacity = b.getInt();
            int flag = b.get();
            if (capacity < 1 || capacity > MAX_CAPACITY || flag < 0 || flag > 1) {
                throw new IllegalArgumentException("client table with capacity " + capacity + " and flag " + flag);
            }
            configured = flag == 1;
            int count = b.getInt();
            if (count < 0 || count > capacity || count > b.remaining() / 36) throw new IllegalArgumentException("client table of " + count + " sessions");
            for (int i = 0; i < count; i++) {
                long clientId = b.getLong();
                long requestNumber = b.getLong();
                long op = b.getLong();
                long registeredAt = b.getLong();
                int length = b.getInt();
                if (length < -1 || length > b.remaining()) throw new IllegalArgumentException("client table result of " + length + " bytes");
                byte[] result = null;
                if (length >= 0) {
                    result = new byte[length];
                    b.get(result);
                }
                restored.put(clientId, new Session(requestNumber, result, op, registeredAt));
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("client table ends early");
        }
        return new Decoded(capacity, configured, restored);
    }

    /** A decoded table, installed with {@link #install} only once everything else of a checkpoint decoded too. */
    record Decoded(int capacity, boolean configured, LinkedHashMap<Long, Session> sessions) {}

    void install(Decoded d) {
        capacity = d.capacity();
        configured = d.configured();
        sessions.clear();
        sessions.putAll(d.sessions());
    }
}
