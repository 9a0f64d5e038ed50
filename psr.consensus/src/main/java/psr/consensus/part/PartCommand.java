package psr.consensus.part;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import psr.api.state.Operation;
import psr.api.state.Value;
import psr.api.state.ValueType;

/**
 * Encodes the state API's operations as log commands, and decodes them. The format is described in
 * {@code FORMAT.md} beside this class; it is part of the durable log, so it only ever grows.
 */
public final class PartCommand {
    static final byte PUT = 1, DELETE = 2, CAS = 3, BATCH = 4, READ = 5;

    /** A decoded command: an operation, or a read of one key. */
    public record Decoded(Operation operation, String readKey) {}

    /** A command that cannot be decoded. */
    public static final class MalformedCommand extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedCommand(String message) {
            super(message);
        }
    }

    private PartCommand() {}

    public static byte[] encode(Operation operation) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        write(out, operation);
        return out.toByteArray();
    }

    public static byte[] encodeRead(String key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(32);
        out.write(READ);
        writeKey(out, Operation.checkKey(key));
        return out.toByteArray();
    }

    private static void write(ByteArrayOutputStream out, Operation operation) {
        if (operation instanceof Operation.Put p) {
            out.write(PUT);
            writeKey(out, p.key());
            writeValue(out, p.value());
        } else if (operation instanceof Operation.Delete d) {
            out.write(DELETE);
            writeKey(out, d.key());
        } else if (operation instanceof Operation.CompareAndSet c) {
            out.write(CAS);
            writeKey(out, c.key());
            writeOptionalValue(out, c.expected());
            writeOptionalValue(out, c.newValue());
        } else if (operation instanceof Operation.Batch b) {
            out.write(BATCH);
            out.write(b.operations().size() >>> 8);
            out.write(b.operations().size());
            for (Operation o : b.operations()) write(out, o);
        }
    }

    private static void writeKey(ByteArrayOutputStream out, String key) {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        out.write(k.length >>> 8);
        out.write(k.length);
        out.write(k, 0, k.length);
    }

    private static void writeOptionalValue(ByteArrayOutputStream out, Value value) {
        out.write(value == null ? 0 : 1);
        if (value != null) writeValue(out, value);
    }

    static void writeValue(ByteArrayOutputStream out, Value value) {
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 8);
        b.put((byte) value.type().code()).putLong(value.timestamp());
        byte[] raw = value.rawBytes();
        if (raw == null) {
            b.putLong(value.rawBits());
            out.write(b.array(), 0, 17);
        } else {
            b.putInt(raw.length);
            out.write(b.array(), 0, 13);
            out.write(raw, 0, raw.length);
        }
    }

    public static Decoded decode(byte[] command) throws MalformedCommand {
        ByteBuffer b = ByteBuffer.wrap(command);
        try {
            Decoded d;
            if (command.length > 0 && command[0] == READ) {
                b.get();
                d = new Decoded(null, readKey(b));
            } else {
                d = new Decoded(readOperation(b, true), null);
            }
            if (b.hasRemaining()) throw new MalformedCommand(b.remaining() + " bytes after the command");
            return d;
        } catch (java.nio.BufferUnderflowException e) {
            throw new MalformedCommand("command ends early (" + command.length + " bytes)");
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new MalformedCommand(e.getMessage());
        }
    }

    private static Operation readOperation(ByteBuffer b, boolean batchAllowed) throws MalformedCommand {
        byte kind = b.get();
        switch (kind) {
            case PUT: {
                String key = readKey(b);
                return new Operation.Put(key, readValue(b));
            }
            case DELETE:
                return new Operation.Delete(readKey(b));
            case CAS: {
                String key = readKey(b);
                Value expected = readOptionalValue(b);
                return new Operation.CompareAndSet(key, expected, readOptionalValue(b));
            }
            case BATCH: {
                if (!batchAllowed) throw new MalformedCommand("batch inside a batch");
                int count = Short.toUnsignedInt(b.getShort());
                if (count < 1 || count > Operation.MAX_BATCH) throw new MalformedCommand("batch of " + count + " operations");
                List<Operation> ops = new ArrayList<>(count);
                for (int i = 0; i < count; i++) ops.add(readOperation(b, false));
                return new Operation.Batch(ops);
            }
            default:
                throw new MalformedCommand("unknown operation kind " + kind);
        }
    }

    private static String readKey(ByteBuffer b) throws MalformedCommand {
        int length = Short.toUnsignedInt(b.getShort());
        if (length > b.remaining()) throw new MalformedCommand("key of " + length + " bytes, " + b.remaining() + " left");
        byte[] k = new byte[length];
        b.get(k);
        return Operation.checkKey(new String(k, StandardCharsets.UTF_8));
    }

    private static Value readOptionalValue(ByteBuffer b) throws MalformedCommand {
        byte present = b.get();
        if (present == 0) return null;
        if (present != 1) throw new MalformedCommand("presence byte " + present);
        return readValue(b);
    }

    static Value readValue(ByteBuffer b) throws MalformedCommand {
        ValueType type = ValueType.ofCode(b.get());
        if (type == null) throw new MalformedCommand("unknown value type");
        long timestamp = b.getLong();
        if (type == ValueType.STRING || type == ValueType.BYTES) {
            int length = b.getInt();
            if (length < 0 || length > Value.MAX_BYTES || length > b.remaining()) throw new MalformedCommand("value of " + length + " bytes");
            byte[] raw = new byte[length];
            b.get(raw);
            return Value.fromRaw(type, 0, raw, timestamp);
        }
        return Value.fromRaw(type, b.getLong(), null, timestamp);
    }
}
