package psr.transport.udp;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.ProtocolFamily;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import psr.api.transport.Receiver;
import psr.api.transport.Transport;

/**
 * The {@link Transport} over one UDP socket: authenticated datagrams in the format of FORMAT.md.
 *
 * <p>Threads. {@link #send} runs on the caller's thread: it checks the destination and size, copies the message
 * and offers it to a bounded queue, and never blocks or throws (a full queue is a counted drop). One sender
 * thread takes messages from the queue, frames, fragments and signs them in a reused buffer and writes them to
 * the non-blocking socket. One receiver thread reads the socket and runs {@link Inbound}, which calls the
 * part's {@link Receiver}; it also expires incomplete messages. Each thread has its own {@link Authenticator}.
 *
 * <p>Life cycle. The constructor binds the socket (so a port in use fails there); {@link #start} starts the
 * threads; {@link #close} stops them and closes the socket, so the port is free again when it returns.
 */
final class UdpTransport implements Transport, AutoCloseable {

    /** Where the transport reports what an operator should see. */
    interface Log {
        void info(String message);

        void warn(String message);
    }

    private static final int PART_CACHE_MAX = 1024;
    private static final int SEND_RETRIES = 200;
    private static final long SEND_RETRY_PAUSE_NANOS = 20_000;
    private static final int RECEIVE_BATCH = 256;

    private final Settings settings;
    private final Log log;
    private final Counter.Set counters = new Counter.Set();
    private final Map<String, Receiver> receivers = new ConcurrentHashMap<>();
    private final Map<String, byte[]> partNames = new ConcurrentHashMap<>();
    private final long incarnation;
    private final DatagramChannel channel;
    private final Selector selector;
    private final Outbound[] outbound;
    private final ArrayBlockingQueue<Outgoing> queue;
    private final AtomicLong queuedBytes = new AtomicLong();
    private final Inbound inbound;
    private final Thread senderThread;
    private final Thread receiverThread;
    private final String socketReport;
    /** SO_RCVBUF as the OS granted it. */
    private final int receiveBufferBytes;
    private volatile boolean running = true;
    private volatile boolean closed;

    /** The sender thread's state for one destination. */
    private static final class Outbound {
        final int id;
        final InetSocketAddress address;
        long sequence;
        long messageId;

        Outbound(int id, InetSocketAddress address) {
            this.id = id;
            this.address = address;
        }
    }

    private record Outgoing(Outbound to, byte[] part, byte[] message) {}

    /** Binds the socket; throws if it cannot (the message says why). Call {@link #start} next. */
    UdpTransport(Settings settings, Log log) throws IOException {
        this.settings = settings;
        this.log = log;
        SecureRandom random = new SecureRandom();
        long chosen;
        do {
            chosen = random.nextLong();
        } while (chosen == 0);
        this.incarnation = chosen;
        int maxId = settings.peers().keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        this.outbound = new Outbound[maxId + 1];
        settings.peers().forEach((id, address) -> outbound[id] = new Outbound(id, address));
        this.queue = new ArrayBlockingQueue<>(settings.sendQueueMessages());
        this.inbound = new Inbound(settings, counters, receivers, log);

        ProtocolFamily family = settings.bind().getAddress() instanceof Inet6Address ? StandardProtocolFamily.INET6
                : StandardProtocolFamily.INET;
        DatagramChannel ch = DatagramChannel.open(family);
        Selector sel = null;
        try {
            if (settings.sendBufferBytes() > 0) {
                ch.setOption(StandardSocketOptions.SO_SNDBUF, settings.sendBufferBytes());
            }
            if (settings.receiveBufferBytes() > 0) {
                ch.setOption(StandardSocketOptions.SO_RCVBUF, settings.receiveBufferBytes());
            }
            ch.bind(settings.bind());
            String tos = setTrafficClass(ch, family);
            ch.configureBlocking(false);
            sel = Selector.open();
            ch.register(sel, SelectionKey.OP_READ);
            this.receiveBufferBytes = ch.getOption(StandardSocketOptions.SO_RCVBUF);
            this.socketReport = "bound to " + show((InetSocketAddress) ch.getLocalAddress()) + ", SO_SNDBUF "
                    + ch.getOption(StandardSocketOptions.SO_SNDBUF) + ", SO_RCVBUF "
                    + ch.getOption(StandardSocketOptions.SO_RCVBUF) + ", " + tos;
        } catch (IOException | RuntimeException e) {
            if (sel != null) {
                sel.close();
            }
            ch.close();
            throw e;
        }
        this.channel = ch;
        this.selector = sel;
        this.senderThread = new Thread(this::sendLoop, "psr-udp-send-" + settings.nodeId());
        this.receiverThread = new Thread(this::receiveLoop, "psr-udp-receive-" + settings.nodeId());
        senderThread.setDaemon(true);
        receiverThread.setDaemon(true);
    }

    /** DSCP goes into the IP_TOS octet's upper six bits. A hint: the OS or the network may ignore it. */
    private String setTrafficClass(DatagramChannel ch, ProtocolFamily family) {
        int dscp = settings.dscp();
        if (dscp == 0) {
            return "DSCP 0 (default)";
        }
        if (family != StandardProtocolFamily.INET) {
            log.warn("DSCP " + dscp + " not set: IP_TOS applies to IPv4 sockets only; datagrams go unmarked");
            return "DSCP not set (IPv6)";
        }
        try {
            ch.setOption(StandardSocketOptions.IP_TOS, dscp << 2);
            return "DSCP " + dscp + " (IP_TOS " + ch.getOption(StandardSocketOptions.IP_TOS) + ")";
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            log.warn("DSCP " + dscp + " could not be set (" + e + "); datagrams go unmarked");
            return "DSCP not set";
        }
    }

    /** Starts the sender and receiver threads and logs one line saying what this transport is. */
    UdpTransport start() {
        senderThread.start();
        receiverThread.start();
        log.info("UDP transport started: " + settings.describe() + "; " + socketReport + "; incarnation "
                + Long.toHexString(incarnation));
        if (receiveBufferBytes < settings.messageBytesMax()) {
            log.warn("SO_RCVBUF is " + receiveBufferBytes + " bytes, less than one message of message.bytes.max ("
                    + settings.messageBytesMax() + "): a burst of fragments overflows it whenever the receiver thread "
                    + "pauses, and the whole message is lost (large state transfers may then never complete). Raise "
                    + "socket.receive.buffer.bytes and the OS limit (Linux: sysctl net.core.rmem_max), or lower message.bytes.max");
        }
        return this;
    }

    @Override
    public int localNode() {
        return settings.nodeId();
    }

    @Override
    public int maxMessageBytes() {
        return settings.messageBytesMax();
    }

    /** The bound address (its port is the real one when the configuration said 0). */
    InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            return settings.bind();
        }
    }

    long incarnation() {
        return incarnation;
    }

    long pendingReassemblyBytes() {
        return inbound.pendingBytes();
    }

    Settings settings() {
        return settings;
    }

    @Override
    public void send(String part, int toNode, byte[] message) {
        try {
            Outbound to = toNode >= 0 && toNode < outbound.length ? outbound[toNode] : null;
            if (to == null) {
                counters.add(Counter.UNKNOWN_PEER);
                return;
            }
            if (message == null || closed) {
                counters.add(Counter.SEND_ERROR);
                return;
            }
            if (message.length > settings.messageBytesMax()) {
                counters.add(Counter.OVERSIZE);
                return;
            }
            byte[] partBytes = partBytes(part);
            if (partBytes == null) {
                counters.add(Counter.UNKNOWN_PART);
                return;
            }
            long bytes = message.length;
            if (queuedBytes.addAndGet(bytes) > settings.sendQueueBytes()) {
                queuedBytes.addAndGet(-bytes);
                counters.add(Counter.QUEUE_FULL);
                return;
            }
            if (!queue.offer(new Outgoing(to, partBytes, message.clone()))) {
                queuedBytes.addAndGet(-bytes);
                counters.add(Counter.QUEUE_FULL);
            }
        } catch (RuntimeException | OutOfMemoryError e) {
            counters.add(Counter.SEND_ERROR);
        }
    }

    /** The UTF-8 name, or null if it is not 1 to 64 bytes. */
    private byte[] partBytes(String part) {
        if (part == null) {
            return null;
        }
        byte[] cached = partNames.get(part);
        if (cached != null) {
            return cached;
        }
        byte[] bytes = part.getBytes(StandardCharsets.UTF_8);
        if (bytes.length < 1 || bytes.length > Wire.PART_BYTES_MAX) {
            return null;
        }
        if (partNames.size() < PART_CACHE_MAX) {
            partNames.put(part, bytes);
        }
        return bytes;
    }

    @Override
    public Registration register(String part, Receiver receiver) {
        Objects.requireNonNull(receiver, "receiver");
        if (partBytes(part) == null) {
            throw new IllegalArgumentException("part name " + (part == null ? "null" : "'" + part + "'")
                    + " is not allowed: expected 1 to " + Wire.PART_BYTES_MAX + " bytes of UTF-8");
        }
        receivers.put(part, receiver);
        return () -> receivers.remove(part, receiver);
    }

    @Override
    public Map<String, Long> counters() {
        return counters.snapshot();
    }

    long counter(Counter c) {
        return counters.get(c);
    }

    /** Stops both threads and closes the socket; the port is free when this returns. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        running = false;
        selector.wakeup();
        join(receiverThread);
        join(senderThread);
        try {
            selector.close();
        } catch (IOException e) {
            log.warn("closing the selector: " + e);
        }
        try {
            channel.close();
        } catch (IOException e) {
            log.warn("closing the socket: " + e);
        }
        queue.clear();
        queuedBytes.set(0);
        log.info("UDP transport stopped: node " + settings.nodeId() + ", counters " + counters.snapshot());
    }

    private static void join(Thread t) {
        if (t.getState() == Thread.State.NEW) {
            return;
        }
        try {
            t.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- sender thread ----

    private void sendLoop() {
        Authenticator authenticator = new Authenticator(settings.keys());
        byte[] buffer = new byte[settings.datagramBytesMax()];
        ByteBuffer wrapped = ByteBuffer.wrap(buffer);
        while (running) {
            Outgoing o;
            try {
                o = queue.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                break;
            }
            if (o == null) {
                continue;
            }
            queuedBytes.addAndGet(-o.message.length);
            try {
                if (transmit(o, authenticator, buffer, wrapped)) {
                    counters.add(Counter.SENT);
                } else {
                    counters.add(Counter.SEND_ERROR);
                }
            } catch (RuntimeException e) {
                counters.add(Counter.SEND_ERROR);
                log.warn("sender thread: unexpected " + e + " (message dropped, counted as send_error)");
            }
        }
    }

    private boolean transmit(Outgoing o, Authenticator authenticator, byte[] buffer, ByteBuffer wrapped) {
        Outbound to = o.to;
        byte[] part = o.part;
        byte[] m = o.message;
        int wholeCapacity = settings.datagramBytesMax() - Wire.overhead(false, part.length);
        if (m.length <= wholeCapacity) {
            int at = Wire.writeHeader(buffer, Wire.TYPE_WHOLE, settings.clusterId(), settings.nodeId(), to.id,
                    incarnation, ++to.sequence, part, 0, 0, 0, 0, m.length);
            System.arraycopy(m, 0, buffer, at, m.length);
            return write(wrapped, authenticator.seal(buffer, at + m.length), to.address);
        }
        int capacity = Wire.fragmentCapacity(settings.datagramBytesMax(), part.length);
        int count = (m.length + capacity - 1) / capacity;
        long id = ++to.messageId & 0xFFFF_FFFFL;
        for (int i = 0; i < count; i++) {
            int length = Wire.fragmentLength(m.length, count, i);
            int at = Wire.writeHeader(buffer, Wire.TYPE_FRAGMENT, settings.clusterId(), settings.nodeId(), to.id,
                    incarnation, ++to.sequence, part, id, i, count, m.length, length);
            System.arraycopy(m, Wire.fragmentOffset(m.length, count, i), buffer, at, length);
            if (!write(wrapped, authenticator.seal(buffer, at + length), to.address)) {
                return false;
            }
        }
        return true;
    }

    private boolean write(ByteBuffer wrapped, int length, InetSocketAddress to) {
        for (int attempt = 0; running; attempt++) {
            wrapped.clear().limit(length);
            int n;
            try {
                n = channel.send(wrapped, to);
            } catch (ClosedChannelException e) {
                return false;
            } catch (IOException | RuntimeException e) {
                return false;
            }
            if (n > 0) {
                counters.add(Counter.SENT_DATAGRAMS);
                counters.add(Counter.SENT_BYTES, n);
                return true;
            }
            // The socket's send buffer is full: wait briefly, then give up on this message.
            if (attempt >= SEND_RETRIES) {
                return false;
            }
            LockSupport.parkNanos(SEND_RETRY_PAUSE_NANOS);
        }
        return false;
    }

    // ---- receiver thread ----

    private void receiveLoop() {
        byte[] buffer = new byte[65536];
        ByteBuffer wrapped = ByteBuffer.wrap(buffer);
        long sweepNanos = Math.max(1, Math.min(settings.reassemblyTimeoutMillis() / 4, 100)) * 1_000_000L;
        long nextSweep = System.nanoTime() + sweepNanos;
        boolean errorLogged = false;
        while (running) {
            try {
                selector.select(Math.max(1, sweepNanos / 1_000_000L));
                selector.selectedKeys().clear();
                for (int i = 0; i < RECEIVE_BATCH && running; i++) {
                    wrapped.clear();
                    SocketAddress from = channel.receive(wrapped);
                    if (from == null) {
                        break;
                    }
                    try {
                        inbound.handle(buffer, wrapped.position(), (InetSocketAddress) from, System.nanoTime());
                    } catch (RuntimeException e) {
                        counters.add(Counter.MALFORMED);
                        if (!errorLogged) {
                            errorLogged = true;
                            log.warn("receiver thread: unexpected " + e + " while checking a datagram (dropped, "
                                    + "counted as malformed; logged once)");
                        }
                    }
                }
                long now = System.nanoTime();
                if (now - nextSweep >= 0) {
                    inbound.expire(now);
                    nextSweep = now + sweepNanos;
                }
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                counters.add(Counter.RECEIVE_ERROR);
                LockSupport.parkNanos(1_000_000);
            }
        }
    }

    static String show(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }
}
