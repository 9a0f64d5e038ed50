package psr.transport.udp;

import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Throughput of one transport sending to another over 127.0.0.1: messages and bytes a second for a few message
 * sizes, with a bounded number of messages in flight (as a replica's pipeline would have), and what was lost.
 * A benchmark, not a test: it prints figures and asserts nothing. How to run it: README.md.
 *
 * <p>Arguments: seconds per size (default 2), then message sizes (default 64 1000 8000 60000).
 */
public final class UdpBenchmark {

    private UdpBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2;
        int[] sizes = {64, 1000, 8000, 60_000};
        if (args.length > 1) {
            sizes = new int[args.length - 1];
            for (int i = 1; i < args.length; i++) {
                sizes[i - 1] = Integer.parseInt(args[i]);
            }
        }
        int[] ports = TestNet.freePorts(2);
        Map<String, Object> cfg1 = TestNet.config(1, ports);
        Map<String, Object> cfg2 = TestNet.config(2, ports);
        cfg1.put(Settings.RECEIVE_BUFFER_BYTES, 4 * 1024 * 1024);
        cfg2.put(Settings.SEND_BUFFER_BYTES, 4 * 1024 * 1024);
        System.out.printf("UDP transport over 127.0.0.1, %d cores, %s per size, datagrams up to %d bytes, "
                + "HMAC-SHA256/128%n", Runtime.getRuntime().availableProcessors(), seconds + " s",
                Settings.DEFAULT_DATAGRAM_BYTES_MAX);
        try (UdpTransport receiver = TestNet.start(cfg1); UdpTransport sender = TestNet.start(cfg2)) {
            AtomicLong received = new AtomicLong();
            receiver.register("bench", (from, message) -> received.incrementAndGet());
            for (int size : sizes) {
                run(sender, receiver, received, size, 0.3, false);
                run(sender, receiver, received, size, seconds, true);
            }
        }
    }

    private static void run(UdpTransport sender, UdpTransport receiver, AtomicLong received, int size, double seconds,
            boolean print) throws InterruptedException {
        byte[] message = new byte[size];
        int window = Math.max(4, 256 * 1024 / Math.max(size, 1400));
        long receivedBefore = received.get();
        long lostBefore = receiver.counter(Counter.REASSEMBLY_TIMEOUT);
        long sent = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long lastProgress = start;
        long lastReceived = receivedBefore;
        while (System.nanoTime() < end) {
            long inFlight = sent - (received.get() - receivedBefore);
            if (inFlight < window) {
                sender.send("bench", 1, message);
                sent++;
                continue;
            }
            long now = System.nanoTime();
            long r = received.get();
            if (r != lastReceived) {
                lastReceived = r;
                lastProgress = now;
            } else if (now - lastProgress > 20_000_000L) {
                // Nothing arrived for 20 ms: count what is in flight as lost and go on.
                sent = received.get() - receivedBefore;
                lastProgress = now;
            }
            Thread.onSpinWait();
        }
        Thread.sleep(100);
        double elapsed = (System.nanoTime() - start) / 1e9;
        long delivered = received.get() - receivedBefore;
        if (print) {
            System.out.printf("  %6d-byte messages: %9.0f messages/s  %8.1f MB/s  (%d delivered, %d datagrams each, "
                    + "%d incomplete at timeout, queue_full %d)%n", size, delivered / elapsed,
                    delivered * (double) size / elapsed / 1e6, delivered,
                    size <= 1400 - Wire.overhead(false, 5) ? 1
                            : (size + Wire.fragmentCapacity(1400, 5) - 1) / Wire.fragmentCapacity(1400, 5),
                    receiver.counter(Counter.REASSEMBLY_TIMEOUT) - lostBefore, sender.counter(Counter.QUEUE_FULL));
        }
    }
}
