package psr.consensus.part;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import psr.api.state.Operation;
import psr.api.state.Value;

/**
 * {@link PartStateMachine#snapshot()} writes into one array of exactly the state's size (no growing buffer, no copy):
 * its bytes must stay those of the format every replica and every checkpoint on disk uses.
 */
class PartStateMachineSnapshotTest {

    /** The snapshot format as the growing-buffer encoder wrote it before. */
    private static byte[] reference(long lastOp, Map<String, Value> data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(12).putLong(lastOp).putInt(data.size()).array(), 0, 12);
        for (Map.Entry<String, Value> e : data.entrySet()) {
            byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
            out.write(k.length >>> 8);
            out.write(k.length);
            out.write(k, 0, k.length);
            PartCommand.writeValue(out, e.getValue());
        }
        return out.toByteArray();
    }

    @Test
    void snapshotBytesAreTheFormatForEveryTypeAndKey() {
        PartStateMachine sm = new PartStateMachine();
        SplittableRandom random = new SplittableRandom(7);
        String[] keys = {"a", "setpoint", "Grüße/ä", "温度/1", "emoji/\uD83D\uDE00", "k".repeat(250), "x"};  // keys up to the 256-character limit once suffixed
        long op = 0;
        for (int i = 0; i < 400; i++) {
            String key = keys[i % keys.length] + "/" + random.nextInt(60);
            Value v = switch (i % 8) {
                case 0 -> Value.ofBool(random.nextBoolean(), random.nextLong());
                case 1 -> Value.ofInt32(random.nextInt(), 0);
                case 2 -> Value.ofInt64(random.nextLong(), 5);
                case 3 -> Value.ofFloat((float) random.nextDouble(), 6);
                case 4 -> Value.ofDouble(random.nextDouble(), 7);
                case 5 -> Value.ofString("text " + keys[random.nextInt(keys.length)], 8);
                case 6 -> Value.ofBytes(new byte[0], 9);
                default -> {
                    byte[] b = new byte[random.nextInt(Value.MAX_BYTES + 1)];
                    random.nextBytes(b);
                    yield Value.ofBytes(b, 10);
                }
            };
            sm.apply(++op, PartCommand.encode(Operation.put(key, v)));
            if (i % 17 == 0) sm.apply(++op, PartCommand.encode(Operation.delete(key)));
        }
        byte[] snapshot = sm.snapshot();
        assertArrayEquals(reference(sm.lastOp(), sm.range("")), snapshot);

        PartStateMachine restored = new PartStateMachine();
        restored.restore(snapshot);
        assertEquals(sm.size(), restored.size());
        assertArrayEquals(snapshot, restored.snapshot());
    }

    @Test
    void emptyStateSnapshotIsTheHeaderOnly() {
        PartStateMachine sm = new PartStateMachine();
        assertArrayEquals(reference(0, Map.of()), sm.snapshot());
        assertEquals(12, sm.snapshot().length);
    }
}
