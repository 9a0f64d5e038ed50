package psr.consensus.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;

import psr.consensus.core.Checkpoint;
import psr.consensus.core.LogEntry;
import psr.consensus.core.Message;
import psr.consensus.core.Message.Commit;
import psr.consensus.core.Message.DoViewChange;
import psr.consensus.core.Message.GetState;
import psr.consensus.core.Message.NewState;
import psr.consensus.core.Message.Ping;
import psr.consensus.core.Message.Pong;
import psr.consensus.core.Message.PreVote;
import psr.consensus.core.Message.PreVoteReply;
import psr.consensus.core.Message.Prepare;
import psr.consensus.core.Message.PrepareOk;
import psr.consensus.core.Message.Recovery;
import psr.consensus.core.Message.RecoveryResponse;
import psr.consensus.core.Message.StartView;
import psr.consensus.core.Message.StartViewChange;
import psr.consensus.core.Message.Transfer;
import psr.consensus.core.Status;

class MessageCodecTest {

    static final MessageCodec CODEC = MessageCodec.DEFAULT;
    static final long MAX = Long.MAX_VALUE;

    static LogEntry entry(long op, int commandBytes) {
        byte[] command = new byte[commandBytes];
        for (int i = 0; i < commandBytes; i++) command[i] = (byte) (op * 31 + i);
        return new LogEntry(1, op, 0x1234L, 7, op, command);
    }

    static List<LogEntry> log(int count, int commandBytes) {
        List<LogEntry> out = new ArrayList<>();
        for (int op = 1; op <= count; op++) out.add(entry(op, commandBytes));
        return List.copyOf(out);
    }

    /** Small messages of every type, with the edge cases: empty lists, null log, extreme values. */
    static List<Message> samples() {
        LogEntry extreme = new LogEntry(MAX, MAX, 0x1234L, Long.MIN_VALUE, MAX, new byte[] {(byte) 0xFF, 0, 0x7F, (byte) 0x80});
        LogEntry negativeClient = new LogEntry(0, 1, 0x1234L, -1, 1, new byte[0]);
        return List.of(
                new Prepare(3, 17, 16, entry(17, 32)),
                new Prepare(0, 1, 0, new LogEntry(0, 1, 0x1234L, 1, 1, new byte[0])),
                new Prepare(MAX, MAX, MAX, extreme),
                new PrepareOk(3, 17, 0x77L),
                new PrepareOk(MAX, MAX, 0x77L),
                new PrepareOk(0, 0, 0x77L),
                new Commit(3, 16),
                new Commit(MAX, MAX),
                new Ping(4, Status.NORMAL, 9, true, 1234),
                new Ping(MAX, Status.RECOVERING, MAX, false, Long.MIN_VALUE),
                new Ping(0, Status.VIEW_CHANGE, 0, false, -1),
                new Pong(4, Status.VIEW_CHANGE, 9, false, 1234),
                new Pong(MAX, Status.NORMAL, MAX, true, MAX),
                new Pong(0, Status.RECOVERING, 0, true, Long.MIN_VALUE),
                new PreVote(5, true),
                new PreVote(MAX, false),
                new PreVoteReply(5, false),
                new PreVoteReply(MAX, true),
                new StartViewChange(6, true, 0),
                new StartViewChange(MAX, false, MAX),
                new DoViewChange(7, 5, 3, 2, 0, log(3, 5), null),
                new DoViewChange(0, 0, 0, 0, 0, List.of(), null),
                new DoViewChange(MAX, MAX, MAX, MAX, 0, List.of(extreme, negativeClient), null),
                new StartView(8, 3, 3, 0, log(3, 0)),
                new StartView(8, 0, 0, 0, List.of()),
                new StartView(MAX, MAX, MAX, 0, List.of(extreme)),
                new GetState(9, 12),
                new GetState(MAX, MAX),
                new NewState(9, 1, 3, 2, 3, log(3, 9).subList(1, 3), null),
                new NewState(9, 3, 3, 3, 3, List.of(), null),
                new NewState(MAX, MAX, MAX, MAX, MAX, List.of(extreme), null),
                new Recovery(0x1234_5678_9ABC_DEF0L),
                new Recovery(Long.MIN_VALUE),
                new Recovery(-1),
                new RecoveryResponse(10, 42, 3, 2, log(3, 4), null),
                new RecoveryResponse(10, 42, -1, -1, null, null),
                new Transfer(7, 2),
                new Transfer(Long.MAX_VALUE, Integer.MAX_VALUE),
                new RecoveryResponse(10, 42, 9, 9, log(2, 3), new Checkpoint(7, 0x55L, new byte[] {1, 2, 3})),
                new NewState(3, 7, 9, 9, 9, log(2, 3), new Checkpoint(7, 0x55L, new byte[0])),
                new DoViewChange(4, 3, 9, 9, 7, log(2, 3), new Checkpoint(7, 0x55L, new byte[] {9})),
                new RecoveryResponse(10, 42, 0, 0, List.of(), null),
                new RecoveryResponse(0, Long.MIN_VALUE, 5, 5, null, null),
                new RecoveryResponse(MAX, MAX, MAX, MAX, List.of(extreme), null));
    }

    static void assertRoundTrips(MessageCodec codec, Message m) {
        byte[] bytes = codec.encode(m);
        assertEquals(bytes.length, codec.encodedSize(m), "encodedSize of " + m);
        Message decoded = codec.decode(bytes, 0, bytes.length);
        assertEquals(m, decoded);
        assertEquals(m.getClass(), decoded.getClass());
        assertArrayEquals(bytes, codec.encode(decoded), "re-encoding " + m);
        for (List<LogEntry> list : lists(decoded)) {
            assertThrows(UnsupportedOperationException.class, () -> list.add(entry(1, 0)), "list must be unmodifiable");
            assertThrows(UnsupportedOperationException.class, () -> list.set(0, entry(1, 0)), "list must be unmodifiable");
        }
    }

    static List<List<LogEntry>> lists(Message m) {
        if (m instanceof DoViewChange d) return List.of(d.log());
        if (m instanceof StartView s) return List.of(s.log());
        if (m instanceof NewState n) return List.of(n.entries());
        if (m instanceof RecoveryResponse r && r.log() != null) return List.of(r.log());
        return List.of();
    }

    static CodecException rejects(byte[] bytes) {
        return assertThrows(CodecException.class, () -> CODEC.decode(bytes, 0, bytes.length));
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int pos = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, pos, p.length);
            pos += p.length;
        }
        return out;
    }

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) s.append(String.format("%02x", x & 0xFF));
        return s.toString();
    }

    // ------------------------------------------------------------------------------------------------
    // Round trips.

    @Test
    void everyMessageTypeRoundTrips() {
        Set<Class<?>> covered = new HashSet<>();
        for (Message m : samples()) {
            assertRoundTrips(CODEC, m);
            covered.add(m.getClass());
        }
        // A new record in the sealed interface must get a type byte, a FORMAT.md row and a sample here.
        assertEquals(Set.of(Message.class.getPermittedSubclasses()), covered);
        assertEquals(MessageCodec.MAX_TYPE, covered.size());
    }

    @Test
    void typeBytesAreTheDocumentedOnes() {
        Object[][] table = {
                {new Prepare(0, 1, 0, entry(1, 0)), 1}, {new PrepareOk(0, 0, 0x77L), 2}, {new Commit(0, 0), 3},
                {new Ping(0, Status.NORMAL, 0, false, 0), 4}, {new Pong(0, Status.NORMAL, 0, false, 0), 5},
                {new PreVote(0, false), 6}, {new PreVoteReply(0, false), 7}, {new StartViewChange(0, false, 0), 8},
                {new DoViewChange(0, 0, 0, 0, 0, List.of(), null), 9}, {new StartView(0, 0, 0, 0, List.of()), 10},
                {new GetState(0, 0), 11}, {new NewState(0, 0, 0, 0, 0, List.of(), null), 12}, {new Recovery(0), 13},
                {new RecoveryResponse(0, 0, -1, -1, null, null), 14}, {new Transfer(0, 1), 15}};
        for (Object[] row : table) assertEquals(row[1], (int) CODEC.encode((Message) row[0])[0], row[0].toString());
        // Status codes and booleans.
        assertArrayEquals(new byte[] {4, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 3, 1, 0, 0, 0, 0, 0, 0, 0, 9},
                CODEC.encode(new Ping(1, Status.RECOVERING, 3, true, 9)));
        assertEquals(1, CODEC.encode(new Ping(1, Status.VIEW_CHANGE, 3, true, 9))[9]);
        assertEquals(0, CODEC.encode(new Ping(1, Status.NORMAL, 3, true, 9))[9]);
    }

    @Test
    void encodedSizesAreTheDocumentedOnes() {
        byte[] prepare = CODEC.encode(new Prepare(3, 17, 16, entry(17, 32)));
        assertEquals(101, prepare.length);
        assertTrue(prepare.length <= 110, "a Prepare of a 32-byte command must stay small, was " + prepare.length);
        assertEquals(69, CODEC.encode(new Prepare(3, 17, 16, entry(17, 0))).length);
        assertEquals(25, CODEC.encode(new PrepareOk(1, 2, 0x77L)).length);
        assertEquals(17, CODEC.encode(new Commit(1, 2)).length);
        assertEquals(27, CODEC.encode(new Ping(1, Status.NORMAL, 2, true, 3)).length);
        assertEquals(27, CODEC.encode(new Pong(1, Status.NORMAL, 2, true, 3)).length);
        assertEquals(10, CODEC.encode(new PreVote(1, true)).length);
        assertEquals(10, CODEC.encode(new PreVoteReply(1, true)).length);
        assertEquals(18, CODEC.encode(new StartViewChange(1, true, 0)).length);
        assertEquals(46, CODEC.encode(new DoViewChange(1, 1, 0, 0, 0, List.of(), null)).length);
        assertEquals(46 + 3 * (44 + 5), CODEC.encode(new DoViewChange(1, 1, 3, 0, 0, log(3, 5), null)).length);
        assertEquals(37, CODEC.encode(new StartView(1, 0, 0, 0, List.of())).length);
        assertEquals(17, CODEC.encode(new GetState(1, 2)).length);
        assertEquals(46 + 2 * 44, CODEC.encode(new NewState(1, 0, 2, 0, 2, log(2, 0), null)).length);
        assertEquals(46 + 20 + 5, CODEC.encode(new NewState(1, 3, 3, 3, 3, List.of(), new Checkpoint(3, 0x55L, new byte[5]))).length);
        assertEquals(9, CODEC.encode(new Recovery(1)).length);
        assertEquals(13, CODEC.encode(new Transfer(1, 2)).length);
        assertEquals(35, CODEC.encode(new RecoveryResponse(1, 2, -1, -1, null, null)).length);
        assertEquals(39, CODEC.encode(new RecoveryResponse(1, 2, 0, 0, List.of(), null)).length);
        assertEquals(MessageCodec.MIN_MESSAGE_LIMIT, 69);
    }

    @Test
    void aNullLogIsDistinctFromAnEmptyOne() {
        byte[] none = CODEC.encode(new RecoveryResponse(4, 99, -1, -1, null, null));
        byte[] empty = CODEC.encode(new RecoveryResponse(4, 99, 0, 0, List.of(), null));
        assertEquals(0, none[33]);
        assertEquals(1, empty[33]);
        assertNull(((RecoveryResponse) CODEC.decode(none)).log());
        assertEquals(List.of(), ((RecoveryResponse) CODEC.decode(empty)).log());
    }

    @Test
    void largeCommandsRoundTrip() {
        int max = MessageCodec.DEFAULT_LIMITS.maxCommandBytes();
        LogEntry big = entry(1, max);
        assertRoundTrips(CODEC, new Prepare(1, 1, 0, big));
        assertRoundTrips(CODEC, new StartView(2, 3, 1, 0, List.of(big, entry(2, max - 1), entry(3, 100_000))));
        assertRoundTrips(CODEC, new RecoveryResponse(2, 5, 3, 1, List.of(big, entry(2, 1), entry(3, max)), null));
        // Many entries.
        assertRoundTrips(CODEC, new DoViewChange(5, 4, 70_000, 69_000, 0, log(70_000, 8), null));
    }

    @Test
    void decodedCommandsAreCopiesOfTheInput() {
        byte[] bytes = CODEC.encode(new Prepare(1, 1, 0, entry(1, 8)));
        Prepare p = (Prepare) CODEC.decode(bytes);
        Arrays.fill(bytes, (byte) 0);
        assertEquals(entry(1, 8), p.entry());
    }

    @Test
    void decodesWithinALargerBuffer() {
        for (Message m : samples()) {
            byte[] bytes = CODEC.encode(m);
            byte[] framed = concat(new byte[] {9, 9, 9}, bytes, new byte[] {1, 2, 3, 4, 5});
            assertEquals(m, CODEC.decode(framed, 3, bytes.length));
        }
        assertThrows(IndexOutOfBoundsException.class, () -> CODEC.decode(new byte[4], 2, 3));
    }

    // ------------------------------------------------------------------------------------------------
    // Malformed input.

    @Test
    void truncationAtEveryByteIsRejected() {
        for (Message m : samples()) {
            byte[] bytes = CODEC.encode(m);
            for (int length = 0; length < bytes.length; length++) {
                int n = length;
                // From an array that ends there, and from the whole encoding with a shorter range: the decoder
                // must not read past the range even when valid bytes follow.
                byte[] prefix = Arrays.copyOf(bytes, n);
                assertThrows(CodecException.class, () -> CODEC.decode(prefix, 0, n), () -> m + " cut to " + n + " bytes");
                assertThrows(CodecException.class, () -> CODEC.decode(bytes, 0, n), () -> m + " cut to " + n + " bytes");
            }
        }
        byte[] prepare = CODEC.encode(new Prepare(3, 17, 16, entry(17, 32)));
        assertEquals("Prepare: truncated in commit at byte 17: needs 8 bytes, 3 remain",
                assertThrows(CodecException.class, () -> CODEC.decode(prepare, 0, 20)).getMessage());
        assertEquals("Prepare: entry command length 32 exceeds the 3 bytes remaining",
                assertThrows(CodecException.class, () -> CODEC.decode(prepare, 0, 72)).getMessage());
        assertEquals("empty message; expected a type byte (1 to 15) and its fields", rejects(new byte[0]).getMessage());
    }

    @Test
    void trailingBytesAreRejected() {
        for (Message m : samples()) {
            byte[] bytes = concat(CODEC.encode(m), new byte[] {0});
            CodecException e = rejects(bytes);
            assertTrue(e.getMessage().contains("1 trailing bytes"), e.getMessage());
        }
        assertEquals("PrepareOk: 3 trailing bytes after the 25-byte message; expected the message to end there",
                rejects(concat(CODEC.encode(new PrepareOk(1, 2, 0x77L)), new byte[3])).getMessage());
    }

    @Test
    void unknownTypesStatusesBooleansAndPresenceBytesAreRejected() {
        for (int type : new int[] {0, 16, 17, 127, 128, 255}) {
            byte[] bytes = CODEC.encode(new PrepareOk(1, 2, 0x77L));
            bytes[0] = (byte) type;
            assertEquals("unknown message type " + type + " at byte 0; expected 1 to 15", rejects(bytes).getMessage());
        }
        for (int code : new int[] {3, 4, 128, 255}) {
            byte[] bytes = CODEC.encode(new Pong(1, Status.NORMAL, 2, true, 3));
            bytes[9] = (byte) code;
            assertEquals("Pong: status code " + code + " at byte 9 is unknown; expected 0 (NORMAL), 1 (VIEW_CHANGE) or 2 (RECOVERING)",
                    rejects(bytes).getMessage());
        }
        for (Message m : List.of(new PreVote(1, true), new PreVoteReply(1, true), new StartViewChange(1, false, 0))) {
            for (int b : new int[] {2, 0x80, 0xFF}) {
                byte[] bytes = CODEC.encode(m);
                bytes[9] = (byte) b;
                assertTrue(rejects(bytes).getMessage().contains("is not a boolean; expected 0 or 1"));
            }
        }
        byte[] ping = CODEC.encode(new Ping(1, Status.NORMAL, 2, true, 3));
        ping[18] = 2;
        assertEquals("Ping: quorumConnected byte 2 at byte 18 is not a boolean; expected 0 or 1", rejects(ping).getMessage());
        byte[] response = CODEC.encode(new RecoveryResponse(1, 2, -1, -1, null, null));
        response[33] = 2;
        assertEquals("RecoveryResponse: log presence byte 2 at byte 33 is invalid; expected 0 (no log) or 1 (a log follows)",
                rejects(response).getMessage());
    }

    @Test
    void negativeViewsAndOpsAreRejected() {
        // Every non-negative field of every type: set it to -1 and to Long.MIN_VALUE.
        Object[][] fields = {
                {new Prepare(1, 1, 0, entry(1, 0)), new int[] {1, 9, 17}},
                {new PrepareOk(1, 1, 0x77L), new int[] {1, 9}},
                {new Commit(1, 1), new int[] {1, 9}},
                {new Ping(1, Status.NORMAL, 1, true, 1), new int[] {1, 10}},
                {new Pong(1, Status.NORMAL, 1, true, 1), new int[] {1, 10}},
                {new PreVote(1, true), new int[] {1}},
                {new PreVoteReply(1, true), new int[] {1}},
                {new StartViewChange(1, true, 0), new int[] {1, 10}},
                {new DoViewChange(1, 1, 1, 1, 0, List.of(), null), new int[] {1, 9, 17, 25, 33}},
                {new StartView(1, 1, 1, 0, List.of()), new int[] {1, 9, 17, 25}},
                {new GetState(1, 1), new int[] {1, 9}},
                {new NewState(1, 1, 1, 1, 1, List.of(), null), new int[] {1, 9, 17, 25, 33}},
                {new RecoveryResponse(1, 1, 1, 1, List.of(), null), new int[] {1, 17, 25}}};
        for (Object[] row : fields) {
            for (int at : (int[]) row[1]) {
                for (long bad : new long[] {-1, Long.MIN_VALUE}) {
                    byte[] bytes = CODEC.encode((Message) row[0]);
                    ByteBuffer.wrap(bytes).putLong(at, bad);
                    CodecException e = rejects(bytes);
                    assertTrue(e.getMessage().contains(bad + " is negative; expected >= 0"), row[0] + " at " + at + ": " + e.getMessage());
                }
            }
        }
        assertEquals("DoViewChange: lastNormalView -1 is negative; expected >= 0",
                assertThrows(CodecException.class, () -> CODEC.encode(new DoViewChange(1, -1, 0, 0, 0, List.of(), null))).getMessage());
        // A backup's RecoveryResponse (no log) carries -1, but not less.
        byte[] backup = CODEC.encode(new RecoveryResponse(1, 1, -1, -1, null, null));
        ByteBuffer.wrap(backup).putLong(17, -2);
        assertEquals("RecoveryResponse: op -2 is too small; expected >= -1", rejects(backup).getMessage());
        byte[] primary = CODEC.encode(new RecoveryResponse(1, 1, 0, 0, List.of(), null));
        ByteBuffer.wrap(primary).putLong(25, -1);
        assertEquals("RecoveryResponse: commit -1 is negative; expected >= 0 when a log is present", rejects(primary).getMessage());
    }

    @Test
    void logEntriesTheConstructorWouldRejectAreRejected() {
        // Entry of a Prepare starts at byte 25: view, op, parent, clientId, requestNumber, command length.
        Object[][] cases = {
                {25, -1L, "Prepare: entry.view -1 is negative; expected >= 0"},
                {33, 0L, "Prepare: entry.op 0 is invalid; expected >= 1"},
                {33, Long.MIN_VALUE, "Prepare: entry.op " + Long.MIN_VALUE + " is invalid; expected >= 1"},
                {49, 0L, "Prepare: entry.clientId is 0 (reserved); expected a non-zero id"},
                {57, -1L, "Prepare: entry.requestNumber -1 is invalid; expected >= 0 (0 registers a session)"},
                {57, -5L, "Prepare: entry.requestNumber -5 is invalid; expected >= 0 (0 registers a session)"}};
        for (Object[] c : cases) {
            byte[] bytes = CODEC.encode(new Prepare(1, 1, 0, entry(1, 3)));
            ByteBuffer.wrap(bytes).putLong((int) c[0], (long) c[1]);
            assertEquals(c[2], rejects(bytes).getMessage());
        }
        byte[] bytes = CODEC.encode(new StartView(1, 2, 0, 0, log(2, 0)));
        ByteBuffer.wrap(bytes).putLong(37 + 44 + 24, 0); // the second entry's client id
        assertEquals("StartView: log[1].clientId is 0 (reserved); expected a non-zero id", rejects(bytes).getMessage());
        byte[] negative = CODEC.encode(new Prepare(1, 1, 0, entry(1, 3)));
        ByteBuffer.wrap(negative).putInt(65, -1);
        assertEquals("Prepare: entry command length -1 is negative; expected 0 to 1048576", rejects(negative).getMessage());
        byte[] count = CODEC.encode(new NewState(1, 0, 0, 0, 0, List.of(), null));
        ByteBuffer.wrap(count).putInt(41, Integer.MIN_VALUE);
        assertEquals("NewState: entries length -2147483648 is negative; expected 0 to 1048576", rejects(count).getMessage());
    }

    @Test
    void encodeRejectsWhatTheFormatCannotCarry() {
        Object[][] cases = {
                {new Ping(1, null, 0, true, 0), "Ping: status is null; expected a value"},
                {new Pong(1, null, 0, true, 0), "Pong: status is null; expected a value"},
                {new Prepare(1, 1, 0, null), "Prepare: entry is null; expected a log entry"},
                {new DoViewChange(1, 0, 0, 0, 0, null, null), "DoViewChange: log is null; expected a list (possibly empty)"},
                {new StartView(1, 0, 0, 0, null), "StartView: log is null; expected a list (possibly empty)"},
                {new NewState(1, 0, 0, 0, 0, null, null), "NewState: entries is null; expected a list (possibly empty)"},
                {new StartView(1, 0, 0, 0, Arrays.asList(entry(1, 0), null)), "StartView: log[1] is null; expected a log entry"},
                {new PrepareOk(-1, 0, 0x77L), "PrepareOk: view -1 is negative; expected >= 0"},
                {new GetState(0, Long.MIN_VALUE), "GetState: op " + Long.MIN_VALUE + " is negative; expected >= 0"},
                {new RecoveryResponse(1, 1, -1, 0, List.of(), null), "RecoveryResponse: op -1 is negative; expected >= 0 when a log is present"},
                {new RecoveryResponse(1, 1, -1, -3, null, null), "RecoveryResponse: commit -3 is too small; expected >= -1"}};
        for (Object[] c : cases) {
            assertEquals(c[1], assertThrows(CodecException.class, () -> CODEC.encode((Message) c[0])).getMessage());
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Limits.

    @Test
    void limitsApplyInBothDirections() {
        MessageCodec small = new MessageCodec(new MessageCodec.Limits(1000, 65536, 100));
        DoViewChange tooLong = new DoViewChange(5, 4, 70_000, 0, 0, log(70_000, 0), null);
        MessageCodec entriesLimited = new MessageCodec(MessageCodec.DEFAULT_LIMITS.withMaxMessageBytes(1 << 24));
        MessageCodec entries65536 = new MessageCodec(new MessageCodec.Limits(1 << 24, 65536, 1024));
        byte[] encoded = entriesLimited.encode(tooLong);
        assertEquals("DoViewChange: log length 70000 exceeds the limit 65536",
                assertThrows(CodecException.class, () -> entries65536.encode(tooLong)).getMessage());
        assertEquals("DoViewChange: log length 70000 exceeds the limit 65536",
                assertThrows(CodecException.class, () -> entries65536.decode(encoded)).getMessage());

        Prepare bigCommand = new Prepare(1, 1, 0, entry(1, 101));
        assertEquals("Prepare: entry command length 101 exceeds the limit 100",
                assertThrows(CodecException.class, () -> small.encode(bigCommand)).getMessage());
        assertEquals("Prepare: entry command length 101 exceeds the limit 100",
                assertThrows(CodecException.class, () -> small.decode(CODEC.encode(bigCommand))).getMessage());
        assertRoundTrips(small, new Prepare(1, 1, 0, entry(1, 100)));

        StartView bigMessage = new StartView(1, 30, 0, 0, log(30, 10)); // 37 + 30 * 54 = 1657 bytes
        assertEquals(1657, CODEC.encodedSize(bigMessage));
        CodecException e = assertThrows(CodecException.class, () -> small.encode(bigMessage));
        assertTrue(e.getMessage().startsWith("StartView: encoded size exceeds the limit 1000 bytes"), e.getMessage());
        assertEquals("message of 1657 bytes exceeds the limit 1000",
                assertThrows(CodecException.class, () -> small.decode(CODEC.encode(bigMessage))).getMessage());
        StartView justFits = new StartView(1, 21, 0, 0, log(21, 10)); // 37 + 21 * 54 = 1171
        MessageCodec exact = new MessageCodec(new MessageCodec.Limits(1171, 65536, 100));
        assertRoundTrips(exact, justFits);
        assertEquals("StartView: encoded size 1192 bytes exceeds the limit 1171",
                assertThrows(CodecException.class, () -> exact.encode(new StartView(1, 21, 0, 0, log(21, 11)))).getMessage());
    }

    @Test
    void limitsThemselvesAreChecked() {
        assertEquals("maxMessageBytes = 68 is not allowed: expected >= 69 (a Prepare with an empty command)",
                assertThrows(IllegalArgumentException.class, () -> new MessageCodec.Limits(68, 1, 0)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MessageCodec.Limits(69, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new MessageCodec.Limits(69, 1, -1));
        MessageCodec tiny = new MessageCodec(new MessageCodec.Limits(69, 1, 0));
        assertRoundTrips(tiny, new Prepare(1, 1, 0, entry(1, 0)));
        assertRoundTrips(tiny, new RecoveryResponse(1, 1, -1, -1, null, null));
        assertEquals("RecoveryResponse: encoded size 83 bytes exceeds the limit 69",
                assertThrows(CodecException.class, () -> tiny.encode(new RecoveryResponse(1, 1, 1, 1, List.of(entry(1, 0)), null))).getMessage());
    }

    /** Bytes allocated by this thread while running {@code action}, or -1 if the JVM cannot tell. */
    static long allocatedBy(Runnable action) {
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean)
                || !bean.isThreadAllocatedMemorySupported() || !bean.isThreadAllocatedMemoryEnabled()) {
            action.run();
            return -1;
        }
        long id = Thread.currentThread().getId();
        long before = bean.getThreadAllocatedBytes(id);
        action.run();
        return bean.getThreadAllocatedBytes(id) - before;
    }

    @Test
    void hugeDeclaredLengthsFailFastWithoutAllocating() {
        MessageCodec unlimited = new MessageCodec(new MessageCodec.Limits(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE));
        byte[] dvcHeader = Arrays.copyOf(CODEC.encode(new DoViewChange(1, 1, 1, 1, 0, List.of(), null)), 45);
        byte[] prepareHeader = Arrays.copyOf(CODEC.encode(new Prepare(1, 1, 0, entry(1, 0))), 69);
        List<Object[]> cases = new ArrayList<>();
        for (int count : new int[] {Integer.MAX_VALUE, 1 << 20, 1_000_000, 3}) {
            byte[] bytes = dvcHeader.clone();
            ByteBuffer.wrap(bytes).putInt(41, count);
            bytes = concat(bytes, new byte[100]); // two entries' worth at most
            cases.add(new Object[] {unlimited, bytes, "DoViewChange: log length " + count + " needs at least "
                    + (long) count * 44 + " bytes but only 100 remain"});
        }
        byte[] dvc = dvcHeader.clone();
        ByteBuffer.wrap(dvc).putInt(41, Integer.MAX_VALUE);
        cases.add(new Object[] {CODEC, dvc, "DoViewChange: log length 2147483647 exceeds the limit 1048576"});
        for (int length : new int[] {Integer.MAX_VALUE, 1 << 20, 10}) {
            byte[] bytes = prepareHeader.clone();
            ByteBuffer.wrap(bytes).putInt(65, length);
            bytes = concat(bytes, new byte[5]);
            cases.add(new Object[] {unlimited, bytes, "Prepare: entry command length " + length + " exceeds the 5 bytes remaining"});
            cases.add(new Object[] {CODEC, bytes, length > 1 << 20
                    ? "Prepare: entry command length " + length + " exceeds the limit 1048576"
                    : "Prepare: entry command length " + length + " exceeds the 5 bytes remaining"});
        }
        for (Object[] c : cases) {
            MessageCodec codec = (MessageCodec) c[0];
            byte[] bytes = (byte[]) c[1];
            codec.decode(CODEC.encode(new PrepareOk(1, 1, 0x77L))); // warm up
            CodecException[] thrown = new CodecException[1];
            long allocated = allocatedBy(() -> thrown[0] = assertThrows(CodecException.class, () -> codec.decode(bytes)));
            assertEquals(c[2], thrown[0].getMessage());
            if (allocated >= 0) assertTrue(allocated < 256 * 1024, "decoding allocated " + allocated + " bytes: " + c[2]);
        }
        assumeTrue(allocatedBy(() -> {}) >= 0, "this JVM cannot measure allocation; only the exceptions were checked");
    }

    // ------------------------------------------------------------------------------------------------
    // Random mutation.

    static final int MUTATION_CASES = 200_000;
    static final int[] INTERESTING_INTS = {0, 1, -1, 35, 36, 37, 0x7F, 0x80, 0xFF, 0x7FFF_FFFF, 0x8000_0000, 0x0010_0000, 0x0010_0001};

    @Test
    void randomlyMutatedEncodingsDecodeOrRaiseOnlyCodecException() {
        String property = System.getProperty("psr.codec.seed");
        long seed = property == null || property.isBlank() ? new Random().nextLong() : Long.parseLong(property.trim());
        System.out.println("MessageCodecTest mutation seed: " + seed + " (rerun with -Dpsr.codec.seed=" + seed + ")");
        Random random = new Random(seed);
        List<byte[]> corpus = new ArrayList<>();
        for (Message m : samples()) corpus.add(CODEC.encode(m));
        MessageCodec small = new MessageCodec(new MessageCodec.Limits(200, 4, 16));
        int decoded = 0;
        int rejected = 0;
        for (int i = 0; i < MUTATION_CASES; i++) {
            byte[] bytes = corpus.get(random.nextInt(corpus.size()));
            int mutations = 1 + random.nextInt(3);
            for (int k = 0; k < mutations; k++) bytes = mutate(random, bytes);
            MessageCodec codec = random.nextInt(4) == 0 ? small : CODEC;
            byte[] input = bytes;
            int caseNumber = i;
            Supplier<String> where = () -> "seed " + seed + ", case " + caseNumber + ": input " + hex(input);
            Message m;
            try {
                m = codec.decode(input, 0, input.length);
            } catch (CodecException e) {
                rejected++;
                assertTrue(e.getMessage() != null && !e.getMessage().isEmpty(), where);
                continue;
            } catch (Throwable t) {
                fail("seed " + seed + ", case " + i + ": " + t + " escaped decoding " + hex(input), t);
                return;
            }
            decoded++;
            // Canonical: a decodable input is exactly the encoding of what it decodes to.
            assertArrayEquals(input, codec.encode(m), where);
            assertEquals(m, codec.decode(codec.encode(m)), where);
        }
        System.out.println("MessageCodecTest mutation: " + MUTATION_CASES + " cases, " + decoded + " decoded, " + rejected + " rejected");
        assertEquals(MUTATION_CASES, decoded + rejected);
        assertTrue(decoded > 0 && rejected > 0, "the mutations should produce both valid and invalid inputs");
    }

    static byte[] mutate(Random random, byte[] in) {
        int n = in.length;
        switch (random.nextInt(8)) {
            case 0 -> { // flip a bit
                if (n == 0) return new byte[] {(byte) random.nextInt(256)};
                byte[] out = in.clone();
                out[random.nextInt(n)] ^= (byte) (1 << random.nextInt(8));
                return out;
            }
            case 1 -> { // overwrite a byte
                if (n == 0) return in;
                byte[] out = in.clone();
                out[random.nextInt(n)] = (byte) random.nextInt(256);
                return out;
            }
            case 2 -> { // overwrite 4 bytes with an interesting int (lengths and counts live in such windows)
                if (n < 4) return in;
                byte[] out = in.clone();
                ByteBuffer.wrap(out).putInt(random.nextInt(n - 3), INTERESTING_INTS[random.nextInt(INTERESTING_INTS.length)]);
                return out;
            }
            case 3 -> { // overwrite 8 bytes with an interesting long
                if (n < 8) return in;
                byte[] out = in.clone();
                long[] values = {0, 1, -1, Long.MAX_VALUE, Long.MIN_VALUE, random.nextLong()};
                ByteBuffer.wrap(out).putLong(random.nextInt(n - 7), values[random.nextInt(values.length)]);
                return out;
            }
            case 4 -> { // insert random bytes
                int at = random.nextInt(n + 1);
                byte[] extra = new byte[1 + random.nextInt(8)];
                random.nextBytes(extra);
                return concat(Arrays.copyOfRange(in, 0, at), extra, Arrays.copyOfRange(in, at, n));
            }
            case 5 -> { // delete bytes
                if (n == 0) return in;
                int at = random.nextInt(n);
                int count = Math.min(n - at, 1 + random.nextInt(8));
                return concat(Arrays.copyOfRange(in, 0, at), Arrays.copyOfRange(in, at + count, n));
            }
            case 6 -> { // truncate
                return Arrays.copyOf(in, random.nextInt(n + 1));
            }
            default -> { // duplicate a chunk (e.g. a whole entry)
                if (n == 0) return in;
                int at = random.nextInt(n);
                int count = Math.min(n - at, 1 + random.nextInt(48));
                return concat(Arrays.copyOfRange(in, 0, at + count), Arrays.copyOfRange(in, at, n));
            }
        }
    }
}
