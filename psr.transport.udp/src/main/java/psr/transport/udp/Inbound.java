package psr.transport.udp;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

import psr.api.transport.Receiver;

/**
 * The receiving half of the transport: checks one datagram after another and hands complete messages to the
 * part's {@link Receiver}. Confined to one thread (the receiver thread, or a test); only
 * {@link #pendingBytes()} may be read from others.
 *
 * <p>Order of checks, cheapest and least trusting first (FORMAT.md lists the counter for each): magic, version,
 * structure, cluster id, sender and receiver ids and the sender's source address, declared size, tag, replay
 * window (a new sender incarnation resets it, only once the tag verified), part, reassembly. Nothing that a
 * datagram declares is allocated before the tag verified and the size was checked against the limits.
 */
final class Inbound {

    /** Bytes charged per incomplete message on top of its data, so that tiny messages cannot pile up. */
    static final int PENDING_OVERHEAD_BYTES = 128;
    /** Incarnations of each sender remembered as retired, so their old datagrams are not taken for new ones. */
    static final int RETIRED_INCARNATIONS = 8;

    private final Settings settings;
    private final Counter.Set counters;
    private final Map<String, Receiver> receivers;
    private final UdpTransport.Log log;
    private final Authenticator authenticator;
    private final Peer[] peers;
    private final Wire.Header header = new Wire.Header();
    private final long timeoutNanos;
    private volatile long pendingBytes;
    private boolean receiverErrorLogged;

    /** What this node knows of one sender. */
    private static final class Peer {
        final int id;
        final InetSocketAddress address;
        final ReplayWindow window;
        final long[] retired = new long[RETIRED_INCARNATIONS];
        int retiredNext;
        long incarnation;
        final HashMap<Long, Pending> pending = new HashMap<>();
        long pendingBytes;
        /** Message ids up to this one (modulo 2^32) gave way to newer messages; their late fragments are dropped. */
        long gaveWayThrough = -1;

        Peer(int id, InetSocketAddress address, int windowSize) {
            this.id = id;
            this.address = address;
            this.window = new ReplayWindow(windowSize);
        }

        boolean isRetired(long incarnation) {
            for (long r : retired) {
                if (r == incarnation) {
                    return true;
                }
            }
            return false;
        }
    }

    /** An incomplete message. */
    private static final class Pending {
        final String part;
        final int count;
        final byte[] data;
        final long[] have;
        final long deadline;
        final long charge;
        int missing;

        Pending(String part, int count, int total, long deadline, long charge) {
            this.part = part;
            this.count = count;
            this.data = new byte[total];
            this.have = new long[(count + 63) >>> 6];
            this.missing = count;
            this.deadline = deadline;
            this.charge = charge;
        }
    }

    Inbound(Settings settings, Counter.Set counters, Map<String, Receiver> receivers, UdpTransport.Log log) {
        this.settings = settings;
        this.counters = counters;
        this.receivers = receivers;
        this.log = log;
        this.authenticator = new Authenticator(settings.keys());
        int maxId = settings.peers().keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
        this.peers = new Peer[maxId + 1];
        settings.peers().forEach((id, address) -> peers[id] = new Peer(id, address, settings.replayWindow()));
        this.timeoutNanos = settings.reassemblyTimeoutMillis() * 1_000_000L;
    }

    /** Bytes held by incomplete messages (data plus a fixed charge each). */
    long pendingBytes() {
        return pendingBytes;
    }

    /**
     * Takes one datagram, {@code b[0, length)} from {@code from}, and counts its outcome; returns the counter
     * that was added to. {@code now} is {@link System#nanoTime()}.
     */
    Counter handle(byte[] b, int length, InetSocketAddress from, long now) {
        counters.add(Counter.RECEIVED_DATAGRAMS);
        counters.add(Counter.RECEIVED_BYTES, length);
        Counter outcome = check(b, length, from, now);
        counters.add(outcome);
        return outcome;
    }

    private Counter check(byte[] b, int length, InetSocketAddress from, long now) {
        Wire.Header h = header;
        Counter malformed = Wire.read(b, length, h);
        if (malformed != null) {
            return malformed;
        }
        if (h.cluster != settings.clusterId()) {
            return Counter.BAD_CLUSTER;
        }
        Peer peer = h.sender < peers.length ? peers[h.sender] : null;
        if (peer == null || h.receiver != settings.nodeId() || !peer.address.equals(from)) {
            return Counter.UNKNOWN_PEER;
        }
        if (h.totalLength > settings.messageBytesMax()) {
            return Counter.OVERSIZE;
        }
        if (!authenticator.verify(b, h.tagOffset, h.keyId)) {
            return Counter.BAD_TAG;
        }
        // Authentic from here on: the sender holds a cluster key and sent from its configured address.
        if (h.incarnation != peer.incarnation) {
            if (peer.isRetired(h.incarnation)) {
                return Counter.REPLAY;
            }
            if (peer.incarnation != 0) {
                counters.add(Counter.PEER_RESTARTS);
                peer.retired[peer.retiredNext] = peer.incarnation;
                peer.retiredNext = (peer.retiredNext + 1) % RETIRED_INCARNATIONS;
                abandonAll(peer);
            }
            peer.gaveWayThrough = -1; // message ids start over with the new incarnation
            peer.incarnation = h.incarnation;
            peer.window.reset();
        }
        if (!peer.window.accept(h.sequence)) {
            return Counter.REPLAY;
        }
        String part = new String(b, h.partOffset, h.partLength, StandardCharsets.UTF_8);
        Receiver receiver = receivers.get(part);
        if (receiver == null) {
            return Counter.UNKNOWN_PART;
        }
        if (h.type == Wire.TYPE_WHOLE) {
            return deliver(receiver, peer.id, Arrays.copyOfRange(b, h.payloadOffset, h.payloadOffset + h.payloadLength));
        }
        return fragment(peer, part, receiver, b, h, now);
    }

    private Counter fragment(Peer peer, String part, Receiver receiver, byte[] b, Wire.Header h, long now) {
        Long id = h.messageId;
        Pending p = peer.pending.get(id);
        if (p == null) {
            if (peer.gaveWayThrough >= 0 && !newer(id, peer.gaveWayThrough)) {
                return Counter.REASSEMBLY_OVERFLOW; // a late fragment of a message that gave way: it cannot complete
            }
            long charge = (long) h.totalLength + PENDING_OVERHEAD_BYTES + 8L * ((h.fragmentCount + 63) >>> 6);
            // Over a bound: the sender's oldest incomplete messages older than this one give way. The sender writes a
            // message's fragments one after another, so one still incomplete when a newer one starts has most likely
            // lost a datagram; keeping it would drop everything the sender sends until the reassembly timeout. Only
            // this sender's messages give way, so one peer cannot push out another's.
            while (peer.pendingBytes + charge > settings.reassemblyBytesPerPeer()
                    || pendingBytes + charge > settings.reassemblyBytesMax()) {
                Long oldest = oldestOlderThan(peer, id);
                if (oldest == null) {
                    return Counter.REASSEMBLY_OVERFLOW;
                }
                release(peer, oldest, peer.pending.get(oldest));
                if (peer.gaveWayThrough < 0 || newer(oldest, peer.gaveWayThrough)) {
                    peer.gaveWayThrough = oldest;
                }
                counters.add(Counter.REASSEMBLY_OVERFLOW);
            }
            if (peer.gaveWayThrough >= 0 && ((id - peer.gaveWayThrough) & 0xFFFF_FFFFL) > 0x4000_0000L) {
                peer.gaveWayThrough = -1; // long past: forget it before the ids wrap around to it
            }
            p = new Pending(part, h.fragmentCount, h.totalLength, now + timeoutNanos, charge);
            peer.pending.put(id, p);
            peer.pendingBytes += charge;
            pendingBytes += charge;
        } else if (p.count != h.fragmentCount || p.data.length != h.totalLength || !p.part.equals(part)) {
            return Counter.MALFORMED;
        }
        int index = h.fragmentIndex;
        long bit = 1L << (index & 63);
        if ((p.have[index >>> 6] & bit) != 0) {
            // Only a faulty sender repeats a fragment under a fresh sequence number.
            return Counter.MALFORMED;
        }
        p.have[index >>> 6] |= bit;
        System.arraycopy(b, h.payloadOffset, p.data, Wire.fragmentOffset(p.data.length, p.count, index),
                h.payloadLength);
        if (--p.missing > 0) {
            return Counter.FRAGMENTS_BUFFERED;
        }
        release(peer, id, p);
        return deliver(receiver, peer.id, p.data);
    }

    /** Whether message id {@code a} was sent after {@code b} (ids count up modulo 2^32). */
    static boolean newer(long a, long b) {
        long d = (a - b) & 0xFFFF_FFFFL;
        return d != 0 && d < 0x8000_0000L;
    }

    /** The id of the peer's incomplete message sent first among those sent before {@code id}, or null. */
    private static Long oldestOlderThan(Peer peer, long id) {
        Long oldest = null;
        for (Long candidate : peer.pending.keySet()) {
            if (newer(id, candidate) && (oldest == null || newer(oldest, candidate))) {
                oldest = candidate;
            }
        }
        return oldest;
    }

    private Counter deliver(Receiver receiver, int from, byte[] message) {
        try {
            receiver.receive(from, message);
            return Counter.RECEIVED;
        } catch (RuntimeException e) {
            if (!receiverErrorLogged) {
                receiverErrorLogged = true;
                log.warn("a receiver threw (counted as receiver_error; logged once): " + e);
            }
            return Counter.RECEIVER_ERROR;
        }
    }

    /** Drops incomplete messages older than the reassembly timeout, counting each. */
    void expire(long now) {
        for (Peer peer : peers) {
            if (peer == null || peer.pending.isEmpty()) {
                continue;
            }
            for (Iterator<Pending> it = peer.pending.values().iterator(); it.hasNext();) {
                Pending p = it.next();
                if (now - p.deadline >= 0) {
                    it.remove();
                    peer.pendingBytes -= p.charge;
                    pendingBytes -= p.charge;
                    counters.add(Counter.REASSEMBLY_TIMEOUT);
                }
            }
        }
    }

    /** A sender restarted: its incomplete messages can never complete. */
    private void abandonAll(Peer peer) {
        counters.add(Counter.REASSEMBLY_TIMEOUT, peer.pending.size());
        pendingBytes -= peer.pendingBytes;
        peer.pendingBytes = 0;
        peer.pending.clear();
    }

    private void release(Peer peer, Long id, Pending p) {
        peer.pending.remove(id);
        peer.pendingBytes -= p.charge;
        pendingBytes -= p.charge;
    }
}
