package psr.transport.udp;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import psr.api.transport.Receiver;

/** Helpers for tests over real sockets on 127.0.0.1 (never any other address). */
final class TestNet {

    static final String LOOPBACK = "127.0.0.1";
    static final String KEY1 = "1=hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    static final String KEY2 = "2=base64:" + java.util.Base64.getEncoder().encodeToString(
            "a second cluster key, 32 bytes!!".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    static final String WRONG_KEY1 = "1=hex:ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    static final long CLUSTER = 7;

    static final UdpTransport.Log QUIET = new UdpTransport.Log() {
        @Override
        public void info(String message) {
        }

        @Override
        public void warn(String message) {
            System.out.println("WARN " + message);
        }
    };

    private TestNet() {
    }

    /** Ports that were free a moment ago on 127.0.0.1 (ephemeral range, chosen by the OS). */
    static int[] freePorts(int n) throws IOException {
        List<DatagramChannel> held = new ArrayList<>();
        int[] ports = new int[n];
        try {
            for (int i = 0; i < n; i++) {
                DatagramChannel ch = DatagramChannel.open();
                held.add(ch);
                ch.bind(new InetSocketAddress(LOOPBACK, 0));
                ports[i] = ((InetSocketAddress) ch.getLocalAddress()).getPort();
            }
        } finally {
            for (DatagramChannel ch : held) {
                ch.close();
            }
        }
        return ports;
    }

    /** Configuration of node {@code node} in a cluster whose node i+1 listens on {@code ports[i]}. */
    static Map<String, Object> config(int node, int[] ports, String... keys) {
        Map<String, Object> p = new HashMap<>();
        p.put(Settings.NODE_ID, node);
        p.put(Settings.CLUSTER_ID, CLUSTER);
        String[] peers = new String[ports.length];
        for (int i = 0; i < ports.length; i++) {
            peers[i] = (i + 1) + "=" + LOOPBACK + ":" + ports[i];
        }
        p.put(Settings.PEERS, peers);
        p.put(Settings.KEYS, keys.length == 0 ? new String[] {KEY1} : keys);
        return p;
    }

    static UdpTransport start(Map<String, Object> config) throws IOException {
        return new UdpTransport(Settings.parse(config), QUIET).start();
    }

    static InetSocketAddress address(int port) {
        return new InetSocketAddress(LOOPBACK, port);
    }

    static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    /** A receiver that keeps what it gets. */
    static final class Inbox implements Receiver {
        record Got(int from, byte[] message) {}

        final BlockingQueue<Got> got = new LinkedBlockingQueue<>();

        @Override
        public void receive(int fromNode, byte[] message) {
            got.add(new Got(fromNode, message));
        }

        Got take() {
            try {
                Got g = got.poll(10, TimeUnit.SECONDS);
                if (g == null) {
                    fail("no message arrived within 10 s");
                }
                return g;
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    /**
     * Builds datagrams field by field, signs them with any key and sends them from its own socket: the attacker
     * (or a faulty node) in the tests.
     */
    static final class Forger implements AutoCloseable {
        final DatagramChannel channel;
        final int port;

        Forger(int port) throws IOException {
            channel = DatagramChannel.open();
            channel.bind(address(port));
            this.port = port;
        }

        static byte[] whole(String key, long cluster, int sender, int receiver, long incarnation, long sequence,
                String part, byte[] payload) {
            byte[] b = new byte[Settings.UDP_PAYLOAD_MAX];
            int at = Wire.writeHeader(b, Wire.TYPE_WHOLE, cluster, sender, receiver, incarnation, sequence,
                    Settings.utf8(part), 0, 0, 0, 0, payload.length);
            System.arraycopy(payload, 0, b, at, payload.length);
            int length = authenticator(key).seal(b, at + payload.length);
            return java.util.Arrays.copyOf(b, length);
        }

        static byte[] fragment(String key, long cluster, int sender, int receiver, long incarnation, long sequence,
                String part, long messageId, int index, int count, int total, byte[] piece) {
            byte[] b = new byte[Settings.UDP_PAYLOAD_MAX];
            int at = Wire.writeHeader(b, Wire.TYPE_FRAGMENT, cluster, sender, receiver, incarnation, sequence,
                    Settings.utf8(part), messageId, index, count, total, piece.length);
            System.arraycopy(piece, 0, b, at, piece.length);
            int length = authenticator(key).seal(b, at + piece.length);
            return java.util.Arrays.copyOf(b, length);
        }

        /** Recomputes the tag of {@code datagram} (whose structure may have been changed) under {@code key}. */
        static void reseal(String key, byte[] datagram) {
            if (datagram.length >= Wire.TRAILER_BYTES) {
                authenticator(key).seal(datagram, datagram.length - Wire.TRAILER_BYTES);
            }
        }

        private static final Map<String, Authenticator> AUTHENTICATORS = new java.util.concurrent.ConcurrentHashMap<>();

        /** One per key; tests that use it run on one thread at a time. */
        static synchronized Authenticator authenticator(String key) {
            return AUTHENTICATORS.computeIfAbsent(key,
                    k -> new Authenticator(Settings.parse(config(1, new int[] {1, 2}, k)).keys()));
        }

        void send(byte[] datagram, int toPort) throws IOException {
            channel.send(ByteBuffer.wrap(datagram), address(toPort));
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
