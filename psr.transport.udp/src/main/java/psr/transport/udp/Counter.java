package psr.transport.udp;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the transport counts. The names are stable: operators and the status report read them. Every datagram
 * read from the socket ends in exactly one of {@link #RECEIVED}, {@link #FRAGMENTS_BUFFERED},
 * {@link #RECEIVER_ERROR} or a drop reason.
 */
enum Counter {
    /** Messages handed to the socket (every fragment written). */
    SENT("sent"),
    /** Messages delivered to a part's receiver. */
    RECEIVED("received"),
    SENT_DATAGRAMS("sent_datagrams"),
    RECEIVED_DATAGRAMS("received_datagrams"),
    SENT_BYTES("sent_bytes"),
    RECEIVED_BYTES("received_bytes"),
    /** Fragments authenticated and stored until their message is complete. */
    FRAGMENTS_BUFFERED("fragments_buffered"),
    /** A peer was seen with a new incarnation (it restarted). */
    PEER_RESTARTS("peer_restarts"),
    /** A receiver threw; the message counts as delivered to it. */
    RECEIVER_ERROR("receiver_error"),
    // Drop reasons.
    BAD_MAGIC("bad_magic"),
    BAD_VERSION("bad_version"),
    BAD_CLUSTER("bad_cluster"),
    BAD_TAG("bad_tag"),
    REPLAY("replay"),
    OVERSIZE("oversize"),
    UNKNOWN_PEER("unknown_peer"),
    UNKNOWN_PART("unknown_part"),
    MALFORMED("malformed"),
    REASSEMBLY_TIMEOUT("reassembly_timeout"),
    REASSEMBLY_OVERFLOW("reassembly_overflow"),
    QUEUE_FULL("queue_full"),
    SEND_ERROR("send_error"),
    RECEIVE_ERROR("receive_error");

    final String key;

    Counter(String key) {
        this.key = key;
    }

    /** A set of counters, safe to add to from any thread. */
    static final class Set {
        private final LongAdder[] adders = new LongAdder[values().length];

        Set() {
            for (int i = 0; i < adders.length; i++) {
                adders[i] = new LongAdder();
            }
        }

        void add(Counter c) {
            adders[c.ordinal()].increment();
        }

        void add(Counter c, long n) {
            adders[c.ordinal()].add(n);
        }

        long get(Counter c) {
            return adders[c.ordinal()].sum();
        }

        Map<String, Long> snapshot() {
            Map<String, Long> out = new LinkedHashMap<>();
            for (Counter c : values()) {
                out.put(c.key, adders[c.ordinal()].sum());
            }
            return out;
        }
    }
}
