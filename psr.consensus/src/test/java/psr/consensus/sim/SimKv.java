package psr.consensus.sim;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.TreeMap;

import psr.consensus.core.StateMachine;

/**
 * The simulator's state machine: string keys to long values, with put, compare-and-set and get (reads go
 * through the log, so they are linearizable). Commands carry the client id and request number so that the
 * simulator can check at-most-once execution: a second execution of the same request fails the run.
 */
public final class SimKv implements StateMachine {
    static final byte PUT = 1, CAS = 2, GET = 3;

    private final TreeMap<String, Long> data = new TreeMap<>();
    /**
     * The highest request number executed per client. Clients number their requests upwards and retry a
     * request under the same number, so executing a number not above the highest is executing twice.
     */
    private final TreeMap<Long, Long> highestExecuted = new TreeMap<>();
    private final int replica;
    private long lastOp;

    public SimKv(int replica) {
        this.replica = replica;
    }

    public static byte[] put(long client, long request, String key, long value) {
        return encode(PUT, client, request, key, 0, false, value);
    }

    /** Compare-and-set; {@code expected == null} means "key absent". */
    public static byte[] cas(long client, long request, String key, Long expected, long value) {
        return encode(CAS, client, request, key, expected == null ? 0 : expected, expected == null, value);
    }

    public static byte[] get(long client, long request, String key) {
        return encode(GET, client, request, key, 0, false, 0);
    }

    private static byte[] encode(byte type, long client, long request, String key, long expected, boolean expectAbsent, long value) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 8 + 2 + k.length + 8 + 1 + 8);
        b.put(type).putLong(client).putLong(request).putShort((short) k.length).put(k).putLong(expected)
                .put((byte) (expectAbsent ? 1 : 0)).putLong(value);
        return b.array();
    }

    @Override
    public byte[] apply(long op, byte[] command) {
        // Ops whose request was a duplicate are not executed, so op-numbers may skip but never go back.
        if (op <= lastOp) throw new AssertionError("replica " + replica + " applied op " + op + " after " + lastOp);
        lastOp = op;
        ByteBuffer b = ByteBuffer.wrap(command);
        byte type = b.get();
        long client = b.getLong();
        long request = b.getLong();
        byte[] k = new byte[b.getShort()];
        b.get(k);
        String key = new String(k, StandardCharsets.UTF_8);
        long expected = b.getLong();
        boolean expectAbsent = b.get() == 1;
        long value = b.getLong();
        Long highest = highestExecuted.get(client);
        if (highest != null && request <= highest) {
            throw new AssertionError("replica " + replica + " executed request " + request + " of client " + client
                    + " after request " + highest + ": twice, or out of order (op " + op + ")");
        }
        highestExecuted.put(client, request);
        Long current = data.get(key);
        switch (type) {
            case PUT -> {
                data.put(key, value);
                return new byte[] {1};
            }
            case CAS -> {
                boolean match = expectAbsent ? current == null : current != null && current == expected;
                if (match) data.put(key, value);
                return new byte[] {(byte) (match ? 1 : 0)};
            }
            case GET -> {
                if (current == null) return new byte[0];
                return ByteBuffer.allocate(8).putLong(current).array();
            }
            default -> throw new AssertionError("unknown command type " + type);
        }
    }

    @Override
    public byte[] snapshot() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream d = new java.io.DataOutputStream(out);
        try {
            d.writeLong(lastOp);
            d.writeInt(data.size());
            for (var e : data.entrySet()) {
                d.writeUTF(e.getKey());
                d.writeLong(e.getValue());
            }
            // What was executed travels too, so at-most-once is still checked after a restore.
            d.writeInt(highestExecuted.size());
            for (var e : highestExecuted.entrySet()) {
                d.writeLong(e.getKey());
                d.writeLong(e.getValue());
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    @Override
    public void restore(byte[] snapshot) {
        java.io.DataInputStream d = new java.io.DataInputStream(new java.io.ByteArrayInputStream(snapshot));
        try {
            long op = d.readLong();
            if (op < lastOp) throw new AssertionError("replica " + replica + " restored op " + op + " below applied " + lastOp);
            lastOp = op;
            data.clear();
            int n = d.readInt();
            for (int i = 0; i < n; i++) data.put(d.readUTF(), d.readLong());
            highestExecuted.clear();
            n = d.readInt();
            for (int i = 0; i < n; i++) highestExecuted.put(d.readLong(), d.readLong());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    public TreeMap<String, Long> data() {
        return data;
    }

    public long lastOp() {
        return lastOp;
    }
}
