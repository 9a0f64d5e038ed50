package psr.transport.udp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.Test;

import psr.api.transport.Receiver;

/**
 * A seeded mutator over valid datagrams, fed straight to the receiving code ({@link Inbound}): whatever the
 * bytes, the outcome is one counted drop (or a delivery of a message that was really built), nothing escapes,
 * incomplete messages stay within their memory bound, and no case allocates more than the largest message.
 *
 * <p>The seed is printed; {@code -Dpsr.udp.fuzz.seed=N} replays a run, {@code -Dpsr.udp.fuzz.cases=N} changes
 * its length (default 100 000).
 */
class DecoderFuzzTest {

    private static final String PART = "part-a";
    private static final int FROM_PORT = 7402;

    @Test
    void mutatedDatagramsEndInACountedOutcome() {
        long seed = Long.getLong("psr.udp.fuzz.seed", System.nanoTime());
        int cases = Integer.getInteger("psr.udp.fuzz.cases", 100_000);
        System.out.println("DecoderFuzzTest seed " + seed + " (replay with -Dpsr.udp.fuzz.seed=" + seed + ")");
        Random random = new Random(seed);

        Map<String, Object> cfg = TestNet.config(1, new int[] {7401, FROM_PORT, 7403});
        cfg.put(Settings.MESSAGE_BYTES_MAX, 20_000);
        cfg.put(Settings.REASSEMBLY_BYTES_PER_PEER, 50_000);
        cfg.put(Settings.REASSEMBLY_BYTES_MAX, 60_000);
        cfg.put(Settings.REPLAY_WINDOW, 64);
        Settings settings = Settings.parse(cfg);
        Counter.Set counters = new Counter.Set();
        Map<String, Receiver> receivers = new ConcurrentHashMap<>();
        long[] delivered = new long[1];
        receivers.put(PART, (from, message) -> {
            assertEquals(2, from);
            assertTrue(message.length <= settings.messageBytesMax());
            delivered[0]++;
        });
        Inbound inbound = new Inbound(settings, counters, receivers, TestNet.QUIET);
        InetSocketAddress from = TestNet.address(FROM_PORT);

        List<byte[]> corpus = corpus(random);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().getId();
        long allocationMax = 0;
        long fakeNow = 0;
        Map<Counter, Long> outcomes = new EnumMap<>(Counter.class);
        long started = System.nanoTime();
        for (int i = 0; i < cases; i++) {
            byte[] datagram = mutate(corpus.get(random.nextInt(corpus.size())), random);
            long before = threads.getThreadAllocatedBytes(thread);
            Counter outcome = inbound.handle(datagram, datagram.length, from, fakeNow);
            long allocated = threads.getThreadAllocatedBytes(thread) - before;
            allocationMax = Math.max(allocationMax, allocated);
            assertNotNull(outcome);
            outcomes.merge(outcome, 1L, Long::sum);
            assertTrue(inbound.pendingBytes() <= settings.reassemblyBytesPerPeer(), "reassembly memory bound");
            assertTrue(allocated <= settings.messageBytesMax() + 64 * 1024,
                    "case " + i + " allocated " + allocated + " bytes");
            fakeNow += 1_000_000; // 1 ms a case: incomplete messages expire now and then
            if (i % 100 == 0) {
                inbound.expire(fakeNow);
            }
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        long sum = outcomes.values().stream().mapToLong(Long::longValue).sum();
        assertEquals(cases, sum);
        assertEquals(cases, counters.get(Counter.RECEIVED_DATAGRAMS));
        assertEquals(counters.get(Counter.RECEIVED), delivered[0]);
        System.out.println("DecoderFuzzTest " + cases + " cases in " + millis + " ms, largest allocation in one case "
                + allocationMax + " bytes, outcomes " + outcomes + ", reassembly_timeout "
                + counters.get(Counter.REASSEMBLY_TIMEOUT));
        // The mutator must reach past the tag check, or it tests little.
        assertTrue(outcomes.getOrDefault(Counter.RECEIVED, 0L) > 0, "some deliveries");
        assertTrue(outcomes.getOrDefault(Counter.BAD_TAG, 0L) > 0, "some bad tags");
        assertTrue(outcomes.getOrDefault(Counter.MALFORMED, 0L) > 0, "some malformed");
        assertTrue(outcomes.getOrDefault(Counter.REPLAY, 0L) > 0, "some replays");
    }

    /** Valid datagrams from node 2 to node 1: whole messages and the fragments of larger ones. */
    private static List<byte[]> corpus(Random random) {
        List<byte[]> corpus = new ArrayList<>();
        long sequence = 1;
        for (int i = 0; i < 40; i++) {
            byte[] payload = new byte[random.nextInt(200)];
            random.nextBytes(payload);
            corpus.add(TestNet.Forger.whole(TestNet.KEY1, TestNet.CLUSTER, 2, 1, 0x77, sequence++, PART, payload));
        }
        for (int m = 0; m < 10; m++) {
            int total = 2 + random.nextInt(15_000);
            int count = Math.min(total, 2 + random.nextInt(12));
            byte[] message = new byte[total];
            random.nextBytes(message);
            for (int index = 0; index < count; index++) {
                int off = Wire.fragmentOffset(total, count, index);
                byte[] piece = Arrays.copyOfRange(message, off, off + Wire.fragmentLength(total, count, index));
                corpus.add(TestNet.Forger.fragment(TestNet.KEY1, TestNet.CLUSTER, 2, 1, 0x77, sequence++, PART, m,
                        index, count, total, piece));
            }
        }
        return corpus;
    }

    /** One to four mutations; about half the time the tag is recomputed so the mutation reaches the parser. */
    private static byte[] mutate(byte[] original, Random r) {
        byte[] b = original.clone();
        int n = 1 + r.nextInt(4);
        for (int k = 0; k < n; k++) {
            if (b.length == 0) {
                b = new byte[1 + r.nextInt(80)];
            }
            switch (r.nextInt(9)) {
                case 0 -> b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
                case 1 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                case 2 -> b = Arrays.copyOf(b, r.nextInt(b.length + 1)); // truncate
                case 3 -> b = Arrays.copyOf(b, b.length + 1 + r.nextInt(64)); // extend with zeros
                case 4 -> { // an interesting value in a header field
                    int[] fields = {5, 6, 7, 12, 14, 16, 24, 32, 33, 36, 38, 40, 42, 44, 46};
                    int at = fields[r.nextInt(fields.length)];
                    int[] values = {0, 1, 2, 0x7F, 0x80, 0xFF, 64, 65};
                    if (at < b.length) {
                        b[at] = (byte) values[r.nextInt(values.length)];
                    }
                }
                case 5 -> { // a 16- or 32-bit field set to an extreme
                    int at = r.nextInt(Math.max(1, Math.min(b.length, 60)));
                    int width = r.nextBoolean() ? 2 : 4;
                    for (int j = 0; j < width && at + j < b.length; j++) {
                        b[at + j] = (byte) (r.nextBoolean() ? 0xFF : 0x00);
                    }
                }
                case 6 -> b = new byte[r.nextInt(80)]; // short garbage
                case 7 -> { // a fresh sequence number, so that replay does not hide the rest
                    if (b.length >= 32) {
                        Wire.putU64(b, 24, 1 + r.nextInt(1_000_000));
                    }
                }
                default -> { // nothing: a plain replay of a valid datagram
                }
            }
        }
        if (r.nextBoolean()) {
            TestNet.Forger.reseal(TestNet.KEY1, b);
        }
        return b;
    }
}
