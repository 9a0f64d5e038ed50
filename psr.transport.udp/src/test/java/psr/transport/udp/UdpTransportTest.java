package psr.transport.udp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static psr.transport.udp.TestNet.CLUSTER;
import static psr.transport.udp.TestNet.KEY1;
import static psr.transport.udp.TestNet.KEY2;
import static psr.transport.udp.TestNet.WRONG_KEY1;
import static psr.transport.udp.TestNet.await;
import static psr.transport.udp.TestNet.config;
import static psr.transport.udp.TestNet.freePorts;
import static psr.transport.udp.TestNet.start;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import psr.transport.udp.TestNet.Forger;
import psr.transport.udp.TestNet.Inbox;

/** Transports over real sockets on 127.0.0.1: delivery, fragmentation, forgeries, replays, restarts, keys. */
class UdpTransportTest {

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T keep(T c) {
        open.add(c);
        return c;
    }

    private static byte[] random(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void threeNodesExchangeWholeAndFragmentedMessages() throws Exception {
        int[] ports = freePorts(3);
        UdpTransport[] t = new UdpTransport[3];
        Inbox[] inbox = new Inbox[3];
        for (int i = 0; i < 3; i++) {
            t[i] = keep(start(config(i + 1, ports)));
            inbox[i] = new Inbox();
            t[i].register("part-a", inbox[i]);
        }
        int[] sizes = {0, 1, 100, 1300, 1400, 5000, 100_000};
        for (int size : sizes) {
            for (int from = 0; from < 3; from++) {
                for (int to = 0; to < 3; to++) {
                    if (from == to) {
                        continue;
                    }
                    byte[] m = random(size, size * 31L + from * 7 + to);
                    t[from].send("part-a", to + 1, m);
                    Inbox.Got got = inbox[to].take();
                    assertEquals(from + 1, got.from(), "sender id");
                    assertArrayEquals(m, got.message(), "message of " + size + " bytes " + (from + 1) + "->" + (to + 1));
                }
            }
        }
        for (UdpTransport x : t) {
            // The sender thread counts a message once its last datagram is written, maybe after it arrived.
            // Likewise the receiver thread counts a delivery when the receiver has returned.
            await(() -> x.counter(Counter.SENT) == 2L * sizes.length, "sent counted");
            await(() -> x.counter(Counter.RECEIVED) == 2L * sizes.length, "received counted");
            Map<String, Long> c = x.counters();
            assertEquals(2L * sizes.length, c.get("sent"));
            assertEquals(2L * sizes.length, c.get("received"));
            for (String reason : List.of("bad_magic", "bad_version", "bad_cluster", "bad_tag", "replay", "oversize",
                    "unknown_peer", "unknown_part", "malformed", "reassembly_timeout", "reassembly_overflow",
                    "queue_full", "send_error")) {
                assertEquals(0L, c.get(reason), reason);
            }
            assertTrue(c.get("sent_datagrams") > 2L * sizes.length, "large messages were fragmented");
        }
        // With part "part-a" a fragment carries 1400 - 69 = 1331 bytes: 1400 bytes take 2 fragments, 5000 take 4
        // and 100 000 take 76; all but the last of each are buffered.
        assertEquals(1331, Wire.fragmentCapacity(1400, 6));
        assertEquals(2 * (1 + 3 + 75), t[0].counter(Counter.FRAGMENTS_BUFFERED));
    }

    @Test
    void aMessageOfTheLargestSizeCrossesIn785Fragments() throws Exception {
        // UDP may lose datagrams when a burst overflows the receiver's socket buffer (the kernel caps the size
        // asked for at net.core.rmem_max); the protocol above resends, and so does this test, a few times.
        int[] ports = freePorts(2);
        Map<String, Object> cfg1 = config(1, ports);
        cfg1.put(Settings.RECEIVE_BUFFER_BYTES, 4 * 1024 * 1024);
        UdpTransport node1 = keep(start(cfg1));
        UdpTransport node2 = keep(start(config(2, ports)));
        Inbox inbox = new Inbox();
        node1.register("p", inbox);
        byte[] m = random(node1.maxMessageBytes(), 3);
        Inbox.Got got = null;
        for (int attempt = 0; attempt < 5 && got == null; attempt++) {
            node2.send("p", 1, m);
            got = inbox.got.poll(3, java.util.concurrent.TimeUnit.SECONDS);
        }
        assertTrue(got != null, "a 1 MiB message arrived within 5 attempts");
        assertArrayEquals(m, got.message());
        assertEquals(785, node2.counter(Counter.SENT_DATAGRAMS) / node2.counter(Counter.SENT));
    }

    @Test
    void forgedDatagramsAreDroppedAndCounted() throws Exception {
        int[] ports = freePorts(3);
        UdpTransport node1 = keep(start(config(1, ports)));
        Inbox inbox = new Inbox();
        node1.register("p", inbox);
        Forger node3 = keep(new Forger(ports[2]));
        long inc = 0x1234;
        byte[] hello = {1, 2, 3};

        // The honest datagram from node 3 gets through.
        node3.send(Forger.whole(KEY1, CLUSTER, 3, 1, inc, 1, "p", hello), ports[0]);
        assertArrayEquals(hello, inbox.take().message());

        node3.send(Forger.whole(WRONG_KEY1, CLUSTER, 3, 1, inc, 2, "p", hello), ports[0]);
        await(() -> node1.counter(Counter.BAD_TAG) == 1, "bad_tag for a wrong key");

        byte[] flipped = Forger.whole(KEY1, CLUSTER, 3, 1, inc, 3, "p", hello);
        flipped[Wire.FIXED_HEADER_BYTES + 1 + 2] ^= 0x10; // a payload bit
        node3.send(flipped, ports[0]);
        await(() -> node1.counter(Counter.BAD_TAG) == 2, "bad_tag for a flipped bit");

        byte[] flippedTag = Forger.whole(KEY1, CLUSTER, 3, 1, inc, 4, "p", hello);
        flippedTag[flippedTag.length - 1] ^= 1;
        node3.send(flippedTag, ports[0]);
        await(() -> node1.counter(Counter.BAD_TAG) == 3, "bad_tag for a flipped tag bit");

        byte[] unknownKey = Forger.whole("9=hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                CLUSTER, 3, 1, inc, 5, "p", hello);
        node3.send(unknownKey, ports[0]);
        await(() -> node1.counter(Counter.BAD_TAG) == 4, "bad_tag for an unknown key id");

        node3.send(Forger.whole(KEY1, CLUSTER + 1, 3, 1, inc, 6, "p", hello), ports[0]);
        await(() -> node1.counter(Counter.BAD_CLUSTER) == 1, "bad_cluster");

        // Node 3 (holding the key) claims to be node 2: its source address is not node 2's.
        node3.send(Forger.whole(KEY1, CLUSTER, 2, 1, inc, 7, "p", hello), ports[0]);
        await(() -> node1.counter(Counter.UNKNOWN_PEER) == 1, "unknown_peer for a spoofed sender id");
        node3.send(Forger.whole(KEY1, CLUSTER, 9, 1, inc, 8, "p", hello), ports[0]);
        await(() -> node1.counter(Counter.UNKNOWN_PEER) == 2, "unknown_peer for an unknown sender id");
        node3.send(Forger.whole(KEY1, CLUSTER, 3, 2, inc, 9, "p", hello), ports[0]);
        await(() -> node1.counter(Counter.UNKNOWN_PEER) == 3, "unknown_peer for a datagram meant for node 2");

        byte[] magic = Forger.whole(KEY1, CLUSTER, 3, 1, inc, 10, "p", hello);
        magic[0] = 'X';
        node3.send(magic, ports[0]);
        await(() -> node1.counter(Counter.BAD_MAGIC) == 1, "bad_magic");
        byte[] version = Forger.whole(KEY1, CLUSTER, 3, 1, inc, 11, "p", hello);
        version[4] = 1; // the version before hash-chained log entries
        node3.send(version, ports[0]);
        await(() -> node1.counter(Counter.BAD_VERSION) == 1, "bad_version");
        node3.send(new byte[] {'P', 'S', 'R', 'U', 2, 1}, ports[0]);
        await(() -> node1.counter(Counter.MALFORMED) == 1, "malformed");
        node3.send(Forger.fragment(KEY1, CLUSTER, 3, 1, inc, 12, "p", 1, 0, 2048, 2 * 1024 * 1024, new byte[1024]),
                ports[0]);
        await(() -> node1.counter(Counter.OVERSIZE) == 1, "oversize");
        node3.send(Forger.whole(KEY1, CLUSTER, 3, 1, inc, 13, "nobody", hello), ports[0]);
        await(() -> node1.counter(Counter.UNKNOWN_PART) == 1, "unknown_part");

        assertEquals(1, node1.counter(Counter.RECEIVED));
        assertEquals(0, inbox.got.size(), "nothing forged was delivered");
    }

    @Test
    void replayedDatagramsAreDroppedAndARestartedSenderIsAccepted() throws Exception {
        int[] ports = freePorts(3);
        Map<String, Object> cfg = config(1, ports);
        cfg.put(Settings.REPLAY_WINDOW, 64);
        UdpTransport node1 = keep(start(cfg));
        Inbox inbox = new Inbox();
        node1.register("p", inbox);
        Forger node3 = keep(new Forger(ports[2]));
        long first = 0xAAAAL;

        byte[] d1 = Forger.whole(KEY1, CLUSTER, 3, 1, first, 1, "p", new byte[] {1});
        node3.send(d1, ports[0]);
        inbox.take();
        node3.send(d1, ports[0]);
        await(() -> node1.counter(Counter.REPLAY) == 1, "replay of the same datagram");

        // Out of order inside the window is fine; each number only once.
        node3.send(Forger.whole(KEY1, CLUSTER, 3, 1, first, 100, "p", new byte[] {100}), ports[0]);
        node3.send(Forger.whole(KEY1, CLUSTER, 3, 1, first, 50, "p", new byte[] {50}), ports[0]);
        assertEquals(100, inbox.take().message()[0]);
        assertEquals(50, inbox.take().message()[0]);
        node3.send(Forger.whole(KEY1, CLUSTER, 3, 1, first, 50, "p", new byte[] {50}), ports[0]);
        await(() -> node1.counter(Counter.REPLAY) == 2, "replay inside the window");
        // 36 is 64 below the top (100): too old.
        node3.send(Forger.whole(KEY1, CLUSTER, 3, 1, first, 36, "p", new byte[] {36}), ports[0]);
        await(() -> node1.counter(Counter.REPLAY) == 3, "replay below the window");

        // Node 3 restarts: a new incarnation starts again at sequence 1 and is accepted.
        long second = 0xBBBBL;
        node3.send(Forger.whole(KEY1, CLUSTER, 3, 1, second, 1, "p", new byte[] {7}), ports[0]);
        assertEquals(7, inbox.take().message()[0]);
        assertEquals(1, node1.counter(Counter.PEER_RESTARTS));
        // An old datagram of the retired incarnation is a replay, even one never seen before.
        node3.send(Forger.whole(KEY1, CLUSTER, 3, 1, first, 101, "p", new byte[] {101}), ports[0]);
        await(() -> node1.counter(Counter.REPLAY) == 4, "replay of a retired incarnation");
        // A forged new incarnation does not reset the window: its tag is checked first.
        node3.send(Forger.whole(WRONG_KEY1, CLUSTER, 3, 1, 0xCCCCL, 1, "p", new byte[] {9}), ports[0]);
        await(() -> node1.counter(Counter.BAD_TAG) == 1, "forged restart");
        node3.send(Forger.whole(KEY1, CLUSTER, 3, 1, second, 2, "p", new byte[] {8}), ports[0]);
        assertEquals(8, inbox.take().message()[0]);
        assertEquals(1, node1.counter(Counter.PEER_RESTARTS));
        assertEquals(0, inbox.got.size());
    }

    @Test
    void realTransportRestartedOnItsPortIsAcceptedWithANewIncarnation() throws Exception {
        int[] ports = freePorts(2);
        UdpTransport node1 = keep(start(config(1, ports)));
        Inbox inbox = new Inbox();
        node1.register("p", inbox);
        UdpTransport node2 = start(config(2, ports));
        node2.send("p", 1, new byte[] {1});
        assertEquals(1, inbox.take().message()[0]);
        long before = node2.incarnation();
        node2.close();
        // The port is free as soon as close returns: the same node binds it again at once.
        UdpTransport again = keep(start(config(2, ports)));
        assertNotEquals(before, again.incarnation());
        again.send("p", 1, new byte[] {2});
        assertEquals(2, inbox.take().message()[0]);
        assertEquals(1, node1.counter(Counter.PEER_RESTARTS));
        assertEquals(0, node1.counter(Counter.REPLAY));
    }

    @Test
    void keyRotationAcceptsTheSecondKeyThenDropsTheFirst() throws Exception {
        int[] ports = freePorts(3);
        UdpTransport node1 = keep(start(config(1, ports, KEY1)));
        Inbox inbox = new Inbox();
        node1.register("p", inbox);
        UdpTransport node2 = start(config(2, ports, KEY1));
        node2.send("p", 1, new byte[] {1});
        assertEquals(1, inbox.take().message()[0]);

        // Step 1: every node learns the new key, still signing with the old one.
        node1.close();
        open.remove(node1);
        node1 = keep(start(config(1, ports, KEY1, KEY2)));
        node1.register("p", inbox);
        node2.send("p", 1, new byte[] {2});
        assertEquals(2, inbox.take().message()[0]);

        // Step 2: nodes sign with the new key; the old one is still accepted.
        node2.close();
        node2 = keep(start(config(2, ports, KEY2, KEY1)));
        node2.send("p", 1, new byte[] {3});
        assertEquals(3, inbox.take().message()[0]);

        // Step 3: the old key is removed; what is signed with it is dropped.
        node1.close();
        open.remove(node1);
        UdpTransport rotated = keep(start(config(1, ports, KEY2)));
        rotated.register("p", inbox);
        node2.send("p", 1, new byte[] {4});
        assertEquals(4, inbox.take().message()[0]);
        Forger node3 = keep(new Forger(ports[2]));
        node3.send(Forger.whole(KEY1, CLUSTER, 3, 1, 5, 1, "p", new byte[] {5}), ports[0]);
        await(() -> rotated.counter(Counter.BAD_TAG) == 1, "old key rejected");
        node3.send(Forger.whole(KEY2, CLUSTER, 3, 1, 5, 2, "p", new byte[] {6}), ports[0]);
        assertEquals(6, inbox.take().message()[0]);
    }

    @Test
    void incompleteMessagesTimeOutAndMemoryIsBounded() throws Exception {
        int[] ports = freePorts(3);
        Map<String, Object> cfg = config(1, ports);
        cfg.put(Settings.MESSAGE_BYTES_MAX, 10_000);
        cfg.put(Settings.REASSEMBLY_BYTES_PER_PEER, 30_000);
        cfg.put(Settings.REASSEMBLY_BYTES_MAX, 50_000);
        cfg.put(Settings.REASSEMBLY_TIMEOUT_MS, 300);
        UdpTransport node1 = keep(start(cfg));
        Inbox inbox = new Inbox();
        node1.register("p", inbox);
        Forger node3 = keep(new Forger(ports[2]));
        long seq = 0;

        // One fragment of three: held, then dropped at the timeout.
        node3.send(Forger.fragment(KEY1, CLUSTER, 3, 1, 1, ++seq, "p", 1, 0, 3, 3000, new byte[1000]), ports[0]);
        await(() -> node1.counter(Counter.FRAGMENTS_BUFFERED) == 1, "first fragment held");
        assertTrue(node1.pendingReassemblyBytes() >= 3000);
        await(() -> node1.counter(Counter.REASSEMBLY_TIMEOUT) == 1, "reassembly timeout");
        assertEquals(0, node1.pendingReassemblyBytes());
        // Its late second fragment starts a new message, which also expires.
        node3.send(Forger.fragment(KEY1, CLUSTER, 3, 1, 1, ++seq, "p", 1, 1, 3, 3000, new byte[1000]), ports[0]);
        await(() -> node1.counter(Counter.REASSEMBLY_TIMEOUT) == 2, "late fragment expired too");

        // Many incomplete 10 000-byte messages: the per-peer bound (30 000) holds two of them.
        for (int id = 10; id < 20; id++) {
            node3.send(Forger.fragment(KEY1, CLUSTER, 3, 1, 1, ++seq, "p", id, 0, 10, 10_000, new byte[1000]),
                    ports[0]);
        }
        await(() -> node1.counter(Counter.REASSEMBLY_OVERFLOW) == 8, "overflow drops");
        assertTrue(node1.pendingReassemblyBytes() <= 30_000, "per-peer bound");
        assertEquals(2 * (10_000 + Inbound.PENDING_OVERHEAD_BYTES + 8), node1.pendingReassemblyBytes());
        await(() -> node1.pendingReassemblyBytes() == 0, "everything expired");
        assertEquals(4, node1.counter(Counter.REASSEMBLY_TIMEOUT));
        assertEquals(0, inbox.got.size());

        // A complete message still goes through afterwards, fragments in any order.
        byte[] m = random(3001, 5);
        int[] order = {2, 0, 1};
        for (int i : order) {
            byte[] piece = java.util.Arrays.copyOfRange(m, Wire.fragmentOffset(3001, 3, i),
                    Wire.fragmentOffset(3001, 3, i) + Wire.fragmentLength(3001, 3, i));
            node3.send(Forger.fragment(KEY1, CLUSTER, 3, 1, 1, ++seq, "p", 99, i, 3, 3001, piece), ports[0]);
        }
        assertArrayEquals(m, inbox.take().message());
    }

    /**
     * A message that lost a fragment must not block its sender's later messages until it times out. The sender
     * writes a message's fragments one after another, so once fragments of a newer message arrive, an older one
     * still incomplete has lost a datagram: when the per-peer bound is full, the oldest incomplete message of that
     * sender gives way (counted once as reassembly_overflow). Before, every later message was dropped for the whole
     * reassembly timeout: with large state transfer messages (hundreds of fragments) and a socket buffer smaller
     * than one of them, a few losses stopped a replica's catch-up for seconds at a time, again and again.
     */
    @Test
    void aMessageThatLostAFragmentGivesWayToTheSendersNewerMessages() throws Exception {
        int[] ports = freePorts(3);
        Map<String, Object> cfg = config(1, ports);
        cfg.put(Settings.MESSAGE_BYTES_MAX, 10_000);
        cfg.put(Settings.REASSEMBLY_BYTES_PER_PEER, 30_000);
        cfg.put(Settings.REASSEMBLY_BYTES_MAX, 50_000);
        cfg.put(Settings.REASSEMBLY_TIMEOUT_MS, 600_000); // nothing expires during the test
        UdpTransport node1 = keep(start(cfg));
        Inbox inbox = new Inbox();
        node1.register("p", inbox);
        Forger node3 = keep(new Forger(ports[2]));
        long seq = 0;

        // Messages 1 to 4 each lose all but their first fragment; the bound holds two of them.
        for (int id = 1; id <= 4; id++) {
            node3.send(Forger.fragment(KEY1, CLUSTER, 3, 1, 1, ++seq, "p", id, 0, 10, 10_000, new byte[1000]), ports[0]);
        }
        await(() -> node1.counter(Counter.RECEIVED_DATAGRAMS) == 4, "four fragments");
        assertTrue(node1.pendingReassemblyBytes() <= 30_000, "per-peer bound");

        // Complete messages 5 to 9 after them: each is delivered, whole, though the bound was full.
        for (int id = 5; id <= 9; id++) {
            byte[] m = random(10_000, id);
            for (int i = 0; i < 10; i++) {
                byte[] piece = java.util.Arrays.copyOfRange(m, Wire.fragmentOffset(10_000, 10, i),
                        Wire.fragmentOffset(10_000, 10, i) + Wire.fragmentLength(10_000, 10, i));
                node3.send(Forger.fragment(KEY1, CLUSTER, 3, 1, 1, ++seq, "p", id, i, 10, 10_000, piece), ports[0]);
            }
            assertArrayEquals(m, inbox.take().message(), "message " + id);
        }
        // Messages 1, 2 and 3 gave way (each counted once); message 4 is still held, as the bound had room for it.
        assertEquals(3, node1.counter(Counter.REASSEMBLY_OVERFLOW), "each damaged message counted once when it gave way");
        long held = 10_000 + Inbound.PENDING_OVERHEAD_BYTES + 8;
        assertEquals(held, node1.pendingReassemblyBytes());

        // A late fragment of a message that gave way is dropped: it cannot complete, and must not push out newer ones.
        node3.send(Forger.fragment(KEY1, CLUSTER, 3, 1, 1, ++seq, "p", 2, 1, 10, 10_000, new byte[1000]), ports[0]);
        await(() -> node1.counter(Counter.REASSEMBLY_OVERFLOW) == 4, "late fragment of a message that gave way dropped");
        assertEquals(held, node1.pendingReassemblyBytes());
    }

    @Test
    void sendNeverThrowsAndCountsWhatItDrops() throws Exception {
        int[] ports = freePorts(2);
        Map<String, Object> cfg = config(1, ports);
        cfg.put(Settings.MESSAGE_BYTES_MAX, 1000);
        cfg.put(Settings.SEND_QUEUE_BYTES, 1000);
        cfg.put(Settings.SEND_QUEUE_MESSAGES, 1);
        UdpTransport node1 = start(cfg);
        node1.send("p", 9, new byte[1]);
        node1.send("p", -1, new byte[1]);
        assertEquals(2, node1.counter(Counter.UNKNOWN_PEER));
        node1.send("p", 2, new byte[1001]);
        assertEquals(1, node1.counter(Counter.OVERSIZE));
        node1.send("", 2, new byte[1]);
        node1.send(null, 2, new byte[1]);
        node1.send("x".repeat(65), 2, new byte[1]);
        assertEquals(3, node1.counter(Counter.UNKNOWN_PART));
        node1.send("p", 2, null);
        assertEquals(1, node1.counter(Counter.SEND_ERROR));
        int n = 20_000;
        for (int i = 0; i < n; i++) {
            node1.send("p", 2, new byte[900]);
        }
        await(() -> node1.counter(Counter.SENT) + node1.counter(Counter.QUEUE_FULL) == n, "every message accounted");
        assertTrue(node1.counter(Counter.QUEUE_FULL) > 0, "a one-message queue overflows");
        assertThrows(IllegalArgumentException.class, () -> node1.register("", (f, m) -> {}));
        node1.close();
        node1.send("p", 2, new byte[1]);
        assertEquals(2, node1.counter(Counter.SEND_ERROR));
    }

    @Test
    void registrationReplacesAndCloseStopsDelivery() throws Exception {
        int[] ports = freePorts(2);
        UdpTransport node1 = keep(start(config(1, ports)));
        UdpTransport node2 = keep(start(config(2, ports)));
        Inbox first = new Inbox();
        Inbox second = new Inbox();
        var r1 = node1.register("p", first);
        node1.register("p", second);
        r1.close(); // closing a replaced registration does not remove its successor
        node2.send("p", 1, new byte[] {1});
        assertEquals(1, second.take().message()[0]);
        assertEquals(0, first.got.size());
        node1.register("p", (from, m) -> {
            throw new IllegalStateException("a receiver that throws");
        });
        node2.send("p", 1, new byte[] {2});
        await(() -> node1.counter(Counter.RECEIVER_ERROR) == 1, "receiver error counted");
    }

    @Test
    void closeReleasesThePort() throws Exception {
        int[] ports = freePorts(2);
        for (int i = 0; i < 3; i++) {
            UdpTransport t = start(config(1, ports));
            t.close();
            try (DatagramChannel ch = DatagramChannel.open()) {
                ch.bind(new InetSocketAddress(TestNet.LOOPBACK, ports[0]));
            }
        }
    }
}
