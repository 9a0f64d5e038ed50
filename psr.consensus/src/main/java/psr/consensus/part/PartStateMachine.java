package psr.consensus.part;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

import psr.api.state.KeyChange;
import psr.api.state.Operation;
import psr.api.state.Value;
import psr.consensus.core.StateMachine;

/**
 * A part's state: keys to typed values. Applies committed commands ({@link PartCommand}) deterministically;
 * a malformed command changes nothing and yields a MALFORMED result on every replica alike.
 *
 * <p>Only the replica's event loop applies; any thread may read ({@link #get}, {@link #range}): the map is
 * concurrent and values are immutable, so a reader sees each key's latest committed value (not a snapshot
 * across keys).
 */
public final class PartStateMachine implements StateMachine {
    /** Result status bytes. */
    static final byte APPLIED = 0, CAS_FAILED = 1, MALFORMED = 2, READ_RESULT = 3;

    private final ConcurrentSkipListMap<String, Value> data = new ConcurrentSkipListMap<>();
    /** What one applied operation changed; {@code op == RESTORED} for a checkpoint restored from a peer. */
    record Applied(long op, List<KeyChange> changes) {}

    static final long RESTORED = -1;

    private final List<Applied> applied = new ArrayList<>();
    private List<KeyChange> current = new ArrayList<>();
    private long lastOp;

    @Override
    public byte[] apply(long op, byte[] command) {
        lastOp = op;
        current = new ArrayList<>(1);
        applied.add(new Applied(op, current));
        PartCommand.Decoded decoded;
        try {
            decoded = PartCommand.decode(command);
        } catch (PartCommand.MalformedCommand e) {
            byte[] reason = e.getMessage().getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(1 + reason.length).put(MALFORMED).put(reason);
            return b.array();
        }
        if (decoded.readKey() != null) {
            Value v = data.get(decoded.readKey());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(READ_RESULT);
            out.write(v == null ? 0 : 1);
            if (v != null) PartCommand.writeValue(out, v);
            return out.toByteArray();
        }
        List<Operation> ops = decoded.operation() instanceof Operation.Batch batch ? batch.operations() : List.of(decoded.operation());
        for (Operation o : ops) {
            if (o instanceof Operation.CompareAndSet c) {
                Value current = data.get(c.key());
                boolean match = c.expected() == null ? current == null : c.expected().sameValue(current);
                if (!match) {
                    byte[] key = c.key().getBytes(StandardCharsets.UTF_8);
                    return ByteBuffer.allocate(1 + key.length).put(CAS_FAILED).put(key).array();
                }
            }
        }
        for (Operation o : ops) {
            if (o instanceof Operation.Put p) {
                set(p.key(), p.value());
            } else if (o instanceof Operation.Delete d) {
                set(d.key(), null);
            } else if (o instanceof Operation.CompareAndSet c) {
                set(c.key(), c.newValue());
            }
        }
        return new byte[] {APPLIED};
    }

    private void set(String key, Value value) {
        Value old = value == null ? data.remove(key) : data.put(key, value);
        current.add(new KeyChange(key, old, value));
    }

    /** What each {@link #apply} since the last drain changed, in op order. Loop thread only. */
    List<Applied> drainApplied() {
        List<Applied> out = new ArrayList<>(applied);
        applied.clear();
        return out;
    }

    long lastOp() {
        return lastOp;
    }

    /**
     * The encoding is written into one array of exactly its size: for a large part (hundreds of MiB) a growing
     * buffer held up to three times the state at once (the doubled buffer, the old one, then the copy
     * {@code toByteArray} makes) and spent as long copying as encoding, on the replica's event loop.
     */
    @Override
    public byte[] snapshot() {
        long size = 12;
        for (Map.Entry<String, Value> e : data.entrySet()) {
            byte[] raw = e.getValue().rawBytes();
            size += 2 + e.getKey().getBytes(StandardCharsets.UTF_8).length + (raw == null ? 17 : 13 + raw.length);
        }
        if (size > Integer.MAX_VALUE - 64) throw new IllegalStateException("part state of " + size + " bytes does not fit one snapshot");
        ExactOutput out = new ExactOutput((int) size);
        ByteBuffer header = ByteBuffer.allocate(12).putLong(lastOp).putInt(data.size());
        out.write(header.array(), 0, 12);
        for (Map.Entry<String, Value> e : data.entrySet()) { // sorted: equal states give equal bytes
            byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
            out.write(k.length >>> 8);
            out.write(k.length);
            out.write(k, 0, k.length);
            PartCommand.writeValue(out, e.getValue());
        }
        return out.exact();
    }

    /** A byte stream into an array of a size known in advance, handed out without a copy. */
    private static final class ExactOutput extends ByteArrayOutputStream {
        ExactOutput(int size) {
            super(size);
        }

        byte[] exact() {
            if (count != buf.length) throw new IllegalStateException("snapshot of " + count + " bytes, " + buf.length + " expected");
            return buf;
        }
    }

    @Override
    public void restore(byte[] snapshot) {
        ConcurrentSkipListMap<String, Value> restored = new ConcurrentSkipListMap<>();
        ByteBuffer b = ByteBuffer.wrap(snapshot);
        long op;
        try {
            op = b.getLong();
            int count = b.getInt();
            if (count < 0) throw new IllegalArgumentException("negative key count");
            for (int i = 0; i < count; i++) {
                byte[] k = new byte[Short.toUnsignedInt(b.getShort())];
                b.get(k);
                restored.put(new String(k, StandardCharsets.UTF_8), PartCommand.readValue(b));
            }
        } catch (java.nio.BufferUnderflowException | PartCommand.MalformedCommand e) {
            throw new IllegalArgumentException("part state snapshot malformed: " + e.getMessage());
        }
        List<KeyChange> diff = new ArrayList<>();
        for (Map.Entry<String, Value> e : data.entrySet()) {
            Value now = restored.get(e.getKey());
            if (now == null || !now.equals(e.getValue())) diff.add(new KeyChange(e.getKey(), e.getValue(), now));
        }
        for (Map.Entry<String, Value> e : restored.entrySet()) {
            if (!data.containsKey(e.getKey())) diff.add(new KeyChange(e.getKey(), null, e.getValue()));
        }
        for (KeyChange c : diff) {
            if (c.newValue() == null) data.remove(c.key()); else data.put(c.key(), c.newValue());
        }
        lastOp = op;
        applied.add(new Applied(RESTORED, diff));
    }

    public Value get(String key) {
        return data.get(key);
    }

    /** The committed values of keys starting with {@code prefix}, sorted. */
    public NavigableMap<String, Value> range(String prefix) {
        ConcurrentSkipListMap<String, Value> out = new ConcurrentSkipListMap<>();
        for (Map.Entry<String, Value> e : data.tailMap(prefix, true).entrySet()) {
            if (!e.getKey().startsWith(prefix)) break;
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    public int size() {
        return data.size();
    }

    /** Decodes a result: the failed key of a compare-and-set, or null when applied. */
    static String failedKey(byte[] result) {
        if (result == null || result.length == 0 || result[0] != CAS_FAILED) return null;
        return new String(result, 1, result.length - 1, StandardCharsets.UTF_8);
    }

    static String malformedReason(byte[] result) {
        if (result == null || result.length == 0 || result[0] != MALFORMED) return null;
        return new String(result, 1, result.length - 1, StandardCharsets.UTF_8);
    }

    /** Decodes a read result: the value, or null when absent. */
    static Value readValue(byte[] result) throws PartCommand.MalformedCommand {
        if (result == null || result.length < 2 || result[0] != READ_RESULT) throw new PartCommand.MalformedCommand("not a read result");
        if (result[1] == 0) return null;
        return PartCommand.readValue(ByteBuffer.wrap(result, 2, result.length - 2));
    }
}
