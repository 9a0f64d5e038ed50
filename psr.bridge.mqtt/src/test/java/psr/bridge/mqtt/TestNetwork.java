package psr.bridge.mqtt;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import psr.api.transport.Receiver;
import psr.api.transport.Transport;

/** An in-memory network between the replicas of a test; a node can be cut off from every other and healed. */
final class TestNetwork implements AutoCloseable {
    private final Map<Integer, Node> nodes = new ConcurrentHashMap<>();
    private final ExecutorService wire = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "test-network");
        t.setDaemon(true);
        return t;
    });

    final class Node implements Transport {
        final int id;
        final Map<String, Receiver> receivers = new ConcurrentHashMap<>();
        volatile boolean cut;

        Node(int id) {
            this.id = id;
        }

        @Override public int localNode() { return id; }
        @Override public int maxMessageBytes() { return 1 << 20; }

        @Override
        public void send(String part, int toNode, byte[] message) {
            byte[] copy = message.clone();
            wire.execute(() -> {
                Node to = nodes.get(toNode);
                if (to == null || cut || to.cut) return;
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
            return Map.of();
        }
    }

    Node node(int id) {
        return nodes.computeIfAbsent(id, Node::new);
    }

    void cut(int id, boolean cut) {
        node(id).cut = cut;
    }

    @Override
    public void close() {
        wire.shutdownNow();
    }
}
