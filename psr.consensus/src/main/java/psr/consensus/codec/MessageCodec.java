package psr.consensus.codec;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import psr.consensus.core.CheckpointChunk;
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

/**
 * The binary wire encoding of the replica {@link Message}s, in the format described in {@code FORMAT.md}
 * beside this class: one type byte, then the fields in declaration order, fixed width and big-endian.
 * There is no per-message version; the transport's datagram header carries the wire version.
 *
 * <p>Decoding treats its input as untrusted. Anything malformed (truncated, trailing bytes, an unknown type
 * byte or status code, a boolean other than 0 or 1, a negative view or op-number, a log entry the
 * {@link LogEntry} constructor would reject, a length beyond a {@link Limits limit} or beyond the bytes
 * present) raises {@link CodecException} and nothing else; no array is allocated from a declared length
 * before that length is checked against both the limit and the bytes actually remaining.
 *
 * <p>Encoding applies the same checks, so every message {@link #encode} accepts decodes to an equal
 * message, and the encoding is canonical: whenever {@link #decode} succeeds, encoding the result gives back
 * exactly the input bytes. The codec checks form, not protocol consistency (for example, it does not check
 * that a Prepare's op-number equals its entry's); that is the replica's business.
 *
 * <p>Immutable and thread-safe.
 */
public final class MessageCodec {

    /**
     * What a codec accepts, in both directions.
     *
     * @param maxMessageBytes the largest encoded message, type byte included; at least
     *                        {@value MessageCodec#MIN_MESSAGE_LIMIT} (a Prepare with an empty command)
     * @param maxEntries      the most log entries in one message's list, at least 1
     * @param maxCommandBytes the longest command of one log entry, at least 0
     */
    public record Limits(int maxMessageBytes, int maxEntries, int maxCommandBytes) {
        public Limits {
            require(maxMessageBytes >= MIN_MESSAGE_LIMIT, "maxMessageBytes", maxMessageBytes,
                    ">= " + MIN_MESSAGE_LIMIT + " (a Prepare with an empty command)");
            require(maxEntries >= 1, "maxEntries", maxEntries, ">= 1");
            require(maxCommandBytes >= 0, "maxCommandBytes", maxCommandBytes, ">= 0");
        }

        /** The same limits with another maximum message size (the transport's). */
        public Limits withMaxMessageBytes(int bytes) {
            return new Limits(bytes, maxEntries, maxCommandBytes);
        }

        private static void require(boolean ok, String name, long value, String allowed) {
            if (!ok) throw new IllegalArgumentException(name + " = " + value + " is not allowed: expected " + allowed);
        }
    }

    // Type bytes. 0 is reserved so that a zeroed buffer is never a message. Never reuse a retired value.
    static final int PREPARE = 1;
    static final int PREPARE_OK = 2;
    static final int COMMIT = 3;
    static final int PING = 4;
    static final int PONG = 5;
    static final int PRE_VOTE = 6;
    static final int PRE_VOTE_REPLY = 7;
    static final int START_VIEW_CHANGE = 8;
    static final int DO_VIEW_CHANGE = 9;
    static final int START_VIEW = 10;
    static final int GET_STATE = 11;
    static final int NEW_STATE = 12;
    static final int RECOVERY = 13;
    static final int RECOVERY_RESPONSE = 14;
    static final int TRANSFER = 15;
    static final int MAX_TYPE = TRANSFER;

    private static final String[] TYPE_NAMES = {null, "Prepare", "PrepareOk", "Commit", "Ping", "Pong", "PreVote",
            "PreVoteReply", "StartViewChange", "DoViewChange", "StartView", "GetState", "NewState", "Recovery",
            "RecoveryResponse", "Transfer"};

    // Status codes: explicit, so that reordering the enum does not change the wire.
    static final int STATUS_NORMAL = 0;
    static final int STATUS_VIEW_CHANGE = 1;
    static final int STATUS_RECOVERING = 2;

    /** A log entry without its command: view, op, parent checksum, client id, request number (8 each), command length (4). */
    static final int ENTRY_FIXED_BYTES = 8 * 5 + 4;
    /** The largest message whose lists and commands are empty: a Prepare (type, 3 longs, one entry). */
    public static final int MIN_MESSAGE_LIMIT = 1 + 3 * 8 + ENTRY_FIXED_BYTES;

    /** 16 MiB messages (the replica store's largest record), 2^20 entries per list, 1 MiB commands. */
    public static final Limits DEFAULT_LIMITS = new Limits(16 * 1024 * 1024, 1 << 20, 1024 * 1024);
    /** A codec with {@link #DEFAULT_LIMITS}. */
    public static final MessageCodec DEFAULT = new MessageCodec(DEFAULT_LIMITS);

    private final Limits limits;

    public MessageCodec(Limits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    public Limits limits() {
        return limits;
    }

    // ------------------------------------------------------------------------------------------------
    // Encoding.

    /**
     * The number of bytes {@link #encode} produces for {@code m}.
     *
     * @throws CodecException if {@code m} cannot be encoded within the limits (a missing entry, log or status
     *                        is also reported here; value ranges only by {@link #encode})
     */
    public int encodedSize(Message m) {
        Objects.requireNonNull(m, "message");
        String type = TYPE_NAMES[typeOf(m)];
        long size = 1 + bodySize(type, m);
        if (size > limits.maxMessageBytes()) {
            throw new CodecException(type + ": encoded size " + size + " bytes exceeds the limit " + limits.maxMessageBytes());
        }
        return (int) size;
    }

    /**
     * Encodes {@code m}.
     *
     * @throws CodecException if {@code m} holds a value the format cannot carry (a negative view or op-number,
     *                        a null status, entry or required log, a null list element) or exceeds a limit
     */
    public byte[] encode(Message m) {
        return encode(m, 0);
    }

    /**
     * Encodes {@code m} after {@code headroom} bytes left zero for the caller's own header (a part's frame byte),
     * so that framing the message needs no second copy.
     *
     * @throws CodecException as {@link #encode(Message)}
     */
    public byte[] encode(Message m, int headroom) {
        if (headroom < 0) throw new IllegalArgumentException("headroom " + headroom + " is negative");
        int size = headroom + encodedSize(m);
        int code = typeOf(m);
        Writer w = new Writer(new byte[size], TYPE_NAMES[code]);
        w.pos = headroom;
        w.u8(code);
        if (m instanceof Prepare p) {
            w.nonNegative("view", p.view()).nonNegative("op", p.op()).nonNegative("commit", p.commit());
            w.entry("entry", p.entry());
        } else if (m instanceof PrepareOk p) {
            w.nonNegative("view", p.view()).nonNegative("op", p.op()).i64(p.checksum());
        } else if (m instanceof Commit c) {
            w.nonNegative("view", c.view()).nonNegative("commit", c.commit());
        } else if (m instanceof Ping p) {
            w.nonNegative("view", p.view()).status("status", p.status()).nonNegative("commit", p.commit());
            w.bool(p.quorumConnected()).i64(p.sendTick());
        } else if (m instanceof Pong p) {
            w.nonNegative("view", p.view()).status("status", p.status()).nonNegative("commit", p.commit());
            w.bool(p.quorumConnected()).i64(p.echoTick());
        } else if (m instanceof PreVote p) {
            w.nonNegative("view", p.view()).bool(p.candidateQuorumConnected());
        } else if (m instanceof PreVoteReply p) {
            w.nonNegative("view", p.view()).bool(p.granted());
        } else if (m instanceof StartViewChange s) {
            w.nonNegative("view", s.view()).bool(s.senderQuorumConnected()).nonNegative("commit", s.commit());
        } else if (m instanceof DoViewChange d) {
            w.nonNegative("view", d.view()).nonNegative("lastNormalView", d.lastNormalView());
            w.nonNegative("op", d.op()).nonNegative("commit", d.commit()).nonNegative("afterOp", d.afterOp());
            w.entries("log", d.log());
        } else if (m instanceof StartView s) {
            w.nonNegative("view", s.view()).nonNegative("op", s.op()).nonNegative("commit", s.commit());
            w.nonNegative("afterOp", s.afterOp()).entries("log", s.log());
        } else if (m instanceof GetState g) {
            w.nonNegative("view", g.view()).nonNegative("op", g.op()).nonNegative("checkpointOp", g.checkpointOp());
            if (g.checkpointOffset() < 0) throw new CodecException("GetState: checkpointOffset " + g.checkpointOffset() + " is negative; expected >= 0");
            w.i32(g.checkpointOffset());
        } else if (m instanceof NewState n) {
            w.nonNegative("view", n.view()).nonNegative("afterOp", n.afterOp());
            w.nonNegative("op", n.op()).nonNegative("commit", n.commit()).nonNegative("logEnd", n.logEnd());
            w.entries("entries", n.entries());
            w.checkpoint(n.checkpoint());
        } else if (m instanceof Recovery r) {
            w.i64(r.nonce());
        } else if (m instanceof Transfer t) {
            w.nonNegative("view", t.view());
            if (t.target() < 0) throw new CodecException("Transfer: target " + t.target() + " is negative; expected a replica index >= 0");
            w.i32(t.target());
        } else if (m instanceof RecoveryResponse r) {
            w.nonNegative("view", r.view()).i64(r.nonce()).nonNegative("op", r.op()).nonNegative("commit", r.commit()).bool(r.primary());
        }
        if (w.pos != size) {
            throw new CodecException(w.type + ": the message changed while being encoded (" + w.pos + " of " + size + " bytes written)");
        }
        return w.buf;
    }

    private static int typeOf(Message m) {
        if (m instanceof Prepare) return PREPARE;
        if (m instanceof PrepareOk) return PREPARE_OK;
        if (m instanceof Commit) return COMMIT;
        if (m instanceof Ping) return PING;
        if (m instanceof Pong) return PONG;
        if (m instanceof PreVote) return PRE_VOTE;
        if (m instanceof PreVoteReply) return PRE_VOTE_REPLY;
        if (m instanceof StartViewChange) return START_VIEW_CHANGE;
        if (m instanceof DoViewChange) return DO_VIEW_CHANGE;
        if (m instanceof StartView) return START_VIEW;
        if (m instanceof GetState) return GET_STATE;
        if (m instanceof NewState) return NEW_STATE;
        if (m instanceof Recovery) return RECOVERY;
        if (m instanceof RecoveryResponse) return RECOVERY_RESPONSE;
        if (m instanceof Transfer) return TRANSFER;
        throw new CodecException(m.getClass().getName() + " has no type byte; expected one of the "
                + MAX_TYPE + " message types of FORMAT.md");
    }

    /** Size without the type byte; checks presence, list lengths and command lengths against the limits. */
    private long bodySize(String type, Message m) {
        if (m instanceof Prepare p) return 3 * 8 + entrySize(type, "entry", p.entry());
        if (m instanceof PrepareOk) return 3 * 8;
        if (m instanceof Commit) return 2 * 8;
        if (m instanceof GetState) return 3 * 8 + 4;
        if (m instanceof Ping p) return 8 + 1 + 8 + 1 + 8 + (p.status() == null ? missing(type, "status") : 0);
        if (m instanceof Pong p) return 8 + 1 + 8 + 1 + 8 + (p.status() == null ? missing(type, "status") : 0);
        if (m instanceof PreVote || m instanceof PreVoteReply) return 8 + 1;
        if (m instanceof StartViewChange) return 8 + 1 + 8;
        if (m instanceof DoViewChange d) return 5 * 8 + listSize(type, "log", d.log());
        if (m instanceof StartView s) return 4 * 8 + listSize(type, "log", s.log());
        if (m instanceof NewState n) return 5 * 8 + listSize(type, "entries", n.entries()) + checkpointSize(n.checkpoint());
        if (m instanceof Recovery) return 8;
        if (m instanceof Transfer) return 8 + 4;
        return 4 * 8 + 1; // RecoveryResponse
    }

    /** A presence byte, then op and the state's length and bytes. */
    private static long checkpointSize(CheckpointChunk c) {
        return 1 + (c == null ? 0 : 8 + 8 + 4 + 4 + 4 + 4 + (long) c.bytes().length);
    }

    private static long missing(String type, String field) {
        throw new CodecException(type + ": " + field + " is null; expected a value");
    }

    private long entrySize(String type, String field, LogEntry e) {
        if (e == null) throw new CodecException(type + ": " + field + " is null; expected a log entry");
        int n = e.command().length;
        if (n > limits.maxCommandBytes()) {
            throw new CodecException(type + ": " + field + " command length " + n + " exceeds the limit " + limits.maxCommandBytes());
        }
        return ENTRY_FIXED_BYTES + n;
    }

    private long listSize(String type, String field, List<LogEntry> list) {
        if (list == null) throw new CodecException(type + ": " + field + " is null; expected a list (possibly empty)");
        int count = list.size();
        if (count > limits.maxEntries()) {
            throw new CodecException(type + ": " + field + " length " + count + " exceeds the limit " + limits.maxEntries());
        }
        long size = 4;
        int i = 0;
        for (LogEntry e : list) {
            size += entrySize(type, field + "[" + i++ + "]", e);
            if (size > limits.maxMessageBytes()) {
                throw new CodecException(type + ": encoded size exceeds the limit " + limits.maxMessageBytes()
                        + " bytes within " + field + "[" + (i - 1) + "] of " + count);
            }
        }
        return size;
    }

    private static final class Writer {
        final byte[] buf;
        final String type;
        int pos;

        Writer(byte[] buf, String type) {
            this.buf = buf;
            this.type = type;
        }

        Writer u8(int v) {
            buf[pos++] = (byte) v;
            return this;
        }

        Writer i32(int v) {
            buf[pos++] = (byte) (v >>> 24);
            buf[pos++] = (byte) (v >>> 16);
            buf[pos++] = (byte) (v >>> 8);
            buf[pos++] = (byte) v;
            return this;
        }

        Writer i64(long v) {
            for (int shift = 56; shift >= 0; shift -= 8) buf[pos++] = (byte) (v >>> shift);
            return this;
        }

        Writer nonNegative(String field, long v) {
            checkAtLeast(type, field, v, 0, "");
            return i64(v);
        }

        Writer atLeast(String field, long v, long min, String when) {
            checkAtLeast(type, field, v, min, when);
            return i64(v);
        }

        Writer bool(boolean v) {
            return u8(v ? 1 : 0);
        }

        Writer status(String field, Status s) {
            return u8(switch (s) {
                case NORMAL -> STATUS_NORMAL;
                case VIEW_CHANGE -> STATUS_VIEW_CHANGE;
                case RECOVERING -> STATUS_RECOVERING;
            });
        }

        void entry(String field, LogEntry e) {
            // The LogEntry constructor already enforces these; checked again so that the format's rules
            // stay in one place even if the constructor is relaxed.
            checkEntry(type, field, e.view(), e.op(), e.clientId(), e.requestNumber());
            i64(e.view()).i64(e.op()).i64(e.parent()).i64(e.clientId()).i64(e.requestNumber());
            byte[] command = e.command();
            i32(command.length);
            System.arraycopy(command, 0, buf, pos, command.length);
            pos += command.length;
        }

        void entries(String field, List<LogEntry> list) {
            i32(list.size());
            int i = 0;
            for (LogEntry e : list) entry(field + "[" + i++ + "]", e);
        }

        void checkpoint(CheckpointChunk c) {
            if (c == null) {
                u8(0);
                return;
            }
            u8(1);
            i64(c.op());
            i64(c.checksum());
            i32(c.stateCrc());
            i32(c.totalLength());
            i32(c.offset());
            i32(c.bytes().length);
            System.arraycopy(c.bytes(), 0, buf, pos, c.bytes().length);
            pos += c.bytes().length;
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Checks shared by both directions.

    private static void checkAtLeast(String type, String field, long v, long min, String when) {
        if (v < min) {
            throw new CodecException(type + ": " + field + " " + v + (min == 0 ? " is negative" : " is too small")
                    + "; expected >= " + min + when);
        }
    }

    private static void checkEntry(String type, String field, long view, long op, long clientId, long requestNumber) {
        if (view < 0) throw new CodecException(type + ": " + field + ".view " + view + " is negative; expected >= 0");
        if (op < 1) throw new CodecException(type + ": " + field + ".op " + op + " is invalid; expected >= 1");
        if (clientId == 0) throw new CodecException(type + ": " + field + ".clientId is 0 (reserved); expected a non-zero id");
        if (requestNumber < 0) {
            throw new CodecException(type + ": " + field + ".requestNumber " + requestNumber + " is invalid; expected >= 0 (0 registers a session)");
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Decoding.

    /** Decodes a whole array; see {@link #decode(byte[], int, int)}. */
    public Message decode(byte[] data) {
        return decode(data, 0, data.length);
    }

    /**
     * Decodes the message in {@code data[offset, offset + length)}, which must hold exactly one message.
     * The returned message shares no bytes with {@code data}; its lists are unmodifiable.
     *
     * @throws CodecException            if the bytes are not exactly one well-formed message within the limits
     * @throws IndexOutOfBoundsException if the range lies outside {@code data} (a caller bug, not bad input)
     */
    public Message decode(byte[] data, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, data.length);
        if (length > limits.maxMessageBytes()) {
            throw new CodecException("message of " + length + " bytes exceeds the limit " + limits.maxMessageBytes());
        }
        if (length == 0) throw new CodecException("empty message; expected a type byte (1 to " + MAX_TYPE + ") and its fields");
        Reader r = new Reader(data, offset, offset + length, limits);
        int code = r.u8("type byte");
        if (code < 1 || code > MAX_TYPE) {
            throw new CodecException("unknown message type " + code + " at byte 0; expected 1 to " + MAX_TYPE);
        }
        r.type = TYPE_NAMES[code];
        Message m = switch (code) {
            case PREPARE -> {
                long view = r.nonNegative("view");
                long op = r.nonNegative("op");
                long commit = r.nonNegative("commit");
                yield new Prepare(view, op, commit, r.entry("entry"));
            }
            case PREPARE_OK -> {
                long view = r.nonNegative("view");
                long op = r.nonNegative("op");
                yield new PrepareOk(view, op, r.i64("checksum"));
            }
            case COMMIT -> {
                long view = r.nonNegative("view");
                yield new Commit(view, r.nonNegative("commit"));
            }
            case PING, PONG -> {
                long view = r.nonNegative("view");
                Status status = r.status("status");
                long commit = r.nonNegative("commit");
                boolean qc = r.bool("quorumConnected");
                long tick = r.i64(code == PING ? "sendTick" : "echoTick");
                yield code == PING ? new Ping(view, status, commit, qc, tick) : new Pong(view, status, commit, qc, tick);
            }
            case PRE_VOTE -> {
                long view = r.nonNegative("view");
                yield new PreVote(view, r.bool("candidateQuorumConnected"));
            }
            case PRE_VOTE_REPLY -> {
                long view = r.nonNegative("view");
                yield new PreVoteReply(view, r.bool("granted"));
            }
            case START_VIEW_CHANGE -> {
                long view = r.nonNegative("view");
                boolean qc = r.bool("senderQuorumConnected");
                yield new StartViewChange(view, qc, r.nonNegative("commit"));
            }
            case DO_VIEW_CHANGE -> {
                long view = r.nonNegative("view");
                long lastNormalView = r.nonNegative("lastNormalView");
                long op = r.nonNegative("op");
                long commit = r.nonNegative("commit");
                long afterOp = r.nonNegative("afterOp");
                List<LogEntry> log = r.entries("log");
                yield new DoViewChange(view, lastNormalView, op, commit, afterOp, log);
            }
            case START_VIEW -> {
                long view = r.nonNegative("view");
                long op = r.nonNegative("op");
                long commit = r.nonNegative("commit");
                long afterOp = r.nonNegative("afterOp");
                yield new StartView(view, op, commit, afterOp, r.entries("log"));
            }
            case GET_STATE -> {
                long view = r.nonNegative("view");
                long op = r.nonNegative("op");
                long checkpointOp = r.nonNegative("checkpointOp");
                int chunkOffset = r.i32("checkpointOffset");
                if (chunkOffset < 0) throw new CodecException("GetState: checkpointOffset " + chunkOffset + " is negative; expected >= 0");
                yield new GetState(view, op, checkpointOp, chunkOffset);
            }
            case NEW_STATE -> {
                long view = r.nonNegative("view");
                long afterOp = r.nonNegative("afterOp");
                long op = r.nonNegative("op");
                long commit = r.nonNegative("commit");
                long logEnd = r.nonNegative("logEnd");
                List<LogEntry> entries = r.entries("entries");
                yield new NewState(view, afterOp, op, commit, logEnd, entries, r.checkpoint());
            }
            case RECOVERY -> new Recovery(r.i64("nonce"));
            case TRANSFER -> {
                long view = r.nonNegative("view");
                int target = r.i32("target");
                if (target < 0) throw new CodecException("Transfer: target " + target + " is negative; expected a replica index >= 0");
                yield new Transfer(view, target);
            }
            case RECOVERY_RESPONSE -> {
                long view = r.nonNegative("view");
                long nonce = r.i64("nonce");
                long op = r.nonNegative("op");
                long commit = r.nonNegative("commit");
                yield new RecoveryResponse(view, nonce, op, commit, r.bool("primary"));
            }
            default -> throw new AssertionError(code); // excluded above
        };
        if (r.pos != r.end) {
            throw new CodecException(r.type + ": " + (r.end - r.pos) + " trailing bytes after the " + (r.pos - r.start)
                    + "-byte message; expected the message to end there");
        }
        return m;
    }

    private static final class Reader {
        final byte[] data;
        final int start;
        final int end;
        final Limits limits;
        int pos;
        String type = "message";

        Reader(byte[] data, int start, int end, Limits limits) {
            this.data = data;
            this.start = start;
            this.end = end;
            this.limits = limits;
            this.pos = start;
        }

        private void need(int n, String field) {
            if (end - pos < n) {
                throw new CodecException(type + ": truncated in " + field + " at byte " + (pos - start) + ": needs " + n
                        + " bytes, " + (end - pos) + " remain");
            }
        }

        int u8(String field) {
            need(1, field);
            return data[pos++] & 0xFF;
        }

        int i32(String field) {
            need(4, field);
            int v = (data[pos] & 0xFF) << 24 | (data[pos + 1] & 0xFF) << 16 | (data[pos + 2] & 0xFF) << 8 | (data[pos + 3] & 0xFF);
            pos += 4;
            return v;
        }

        long i64(String field) {
            need(8, field);
            long v = 0;
            for (int i = 0; i < 8; i++) v = v << 8 | (data[pos + i] & 0xFF);
            pos += 8;
            return v;
        }

        long nonNegative(String field) {
            long v = i64(field);
            checkAtLeast(type, field, v, 0, "");
            return v;
        }

        boolean bool(String field) {
            int b = u8(field);
            if (b > 1) {
                throw new CodecException(type + ": " + field + " byte " + b + " at byte " + (pos - start - 1)
                        + " is not a boolean; expected 0 or 1");
            }
            return b == 1;
        }

        Status status(String field) {
            int code = u8(field);
            return switch (code) {
                case STATUS_NORMAL -> Status.NORMAL;
                case STATUS_VIEW_CHANGE -> Status.VIEW_CHANGE;
                case STATUS_RECOVERING -> Status.RECOVERING;
                default -> throw new CodecException(type + ": " + field + " code " + code + " at byte " + (pos - start - 1)
                        + " is unknown; expected 0 (NORMAL), 1 (VIEW_CHANGE) or 2 (RECOVERING)");
            };
        }

        LogEntry entry(String field) {
            long view = i64(field + ".view");
            long op = i64(field + ".op");
            long parent = i64(field + ".parent");
            long clientId = i64(field + ".clientId");
            long requestNumber = i64(field + ".requestNumber");
            checkEntry(type, field, view, op, clientId, requestNumber);
            int length = i32(field + ".command length");
            if (length < 0) {
                throw new CodecException(type + ": " + field + " command length " + length + " is negative; expected 0 to "
                        + limits.maxCommandBytes());
            }
            if (length > limits.maxCommandBytes()) {
                throw new CodecException(type + ": " + field + " command length " + length + " exceeds the limit "
                        + limits.maxCommandBytes());
            }
            if (length > end - pos) {
                throw new CodecException(type + ": " + field + " command length " + length + " exceeds the " + (end - pos)
                        + " bytes remaining");
            }
            byte[] command = Arrays.copyOfRange(data, pos, pos + length);
            pos += length;
            return new LogEntry(view, op, parent, clientId, requestNumber, command);
        }

        CheckpointChunk checkpoint() {
            int present = u8("checkpoint presence byte");
            if (present == 0) return null;
            if (present != 1) {
                throw new CodecException(type + ": checkpoint presence byte " + present + " is invalid; expected 0 (none) or 1 (a checkpoint chunk follows)");
            }
            long op = i64("checkpoint.op");
            if (op < 1) throw new CodecException(type + ": checkpoint.op " + op + " is invalid; expected >= 1");
            long checksum = i64("checkpoint.checksum");
            int stateCrc = i32("checkpoint.stateCrc");
            int total = i32("checkpoint.totalLength");
            int offset = i32("checkpoint.offset");
            int length = i32("checkpoint chunk length");
            if (total < 0 || offset < 0 || length < 0 || (long) offset + length > total) {
                throw new CodecException(type + ": checkpoint chunk at " + offset + " of " + length + " bytes does not fit a state of "
                        + total + " bytes");
            }
            if (length > end - pos) {
                throw new CodecException(type + ": checkpoint chunk length " + length + " does not fit the " + (end - pos) + " bytes remaining");
            }
            byte[] bytes = Arrays.copyOfRange(data, pos, pos + length);
            pos += length;
            return new CheckpointChunk(op, checksum, stateCrc, total, offset, bytes);
        }

        List<LogEntry> entries(String field) {
            int count = i32(field + " length");
            if (count < 0) {
                throw new CodecException(type + ": " + field + " length " + count + " is negative; expected 0 to " + limits.maxEntries());
            }
            if (count > limits.maxEntries()) {
                throw new CodecException(type + ": " + field + " length " + count + " exceeds the limit " + limits.maxEntries());
            }
            if (count > (end - pos) / ENTRY_FIXED_BYTES) {
                throw new CodecException(type + ": " + field + " length " + count + " needs at least "
                        + (long) count * ENTRY_FIXED_BYTES + " bytes but only " + (end - pos) + " remain");
            }
            LogEntry[] entries = new LogEntry[count];
            for (int i = 0; i < count; i++) entries[i] = entry(field + "[" + i + "]");
            return Collections.unmodifiableList(Arrays.asList(entries));
        }
    }
}
