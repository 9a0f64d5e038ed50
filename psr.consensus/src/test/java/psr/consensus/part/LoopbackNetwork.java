package psr.consensus.part;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import psr.api.transport.Receiver;
import psr.api.transport.Transport;

/** An in-memory network of transports, one per node, that can cut a node off; for tests. */
final class LoopbackNetwork {
    private final Map<Integer, Node> nodes = new ConcurrentHashMap<>();
    private final Executor wire;
    private final Runnable shutdown;

    /** A network whose wire is a thread of its own. */
    LoopbackNetwork() {
        ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "loopback-wire");
            t.setDaemon(true);
            return t;
        });
        this.wire = thread;
        this.shutdown = thread::shutdownNow;
    }

    /** A network whose wire is {@code wire} (a manual-time loop: then delivery is in virtual time, in send order). */
    LoopbackNetwork(psr.api.osal.EventLoop wire) {
        this.wire = wire::execute;
        this.shutdown = wire::close;
    }

    final class Node implements Transport {
        final int id;
        final Map<String, Receiver> receivers = new ConcurrentHashMap<>();
        volatile boolean cut;
        volatile boolean deaf;
        final AtomicLong sent = new AtomicLong();

        Node(int id) {
            this.id = id;
        }

        @Override public int localNode() { return id; }
        @Override public int maxMessageBytes() { return 1 << 20; }

        @Override
        public void send(String part, int toNode, byte[] message) {
            sent.incrementAndGet();
            byte[] copy = message.clone();
            wire.execute(() -> {
                Node to = nodes.get(toNode);
                if (to == null || cut || to.cut || to.deaf) return;
                Receiver r = to.receivers.get(part);
                if (r != null) r.receive(id, copy);
            });
        }

        @Override
        public Registration register(String part, Receiver receiver) {
            receivers.put(part, receiver);
            return () -> receivers.remove(part, receiver);
        }

        @Override
        public Map<String, Long> counters() {
            Map<String, Long> m = new TreeMap<>();
            m.put("sent", sent.get());
            return m;
        }
    }

    Node node(int id) {
        return nodes.computeIfAbsent(id, Node::new);
    }

    void shutdown() {
        shutdown.run();
    }
}
