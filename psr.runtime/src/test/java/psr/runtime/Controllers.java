package psr.runtime;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Controllers as real runtime processes on 127.0.0.1, one data directory each under {@code root}, reached through
 * their shells as an operator would: a UDP transport configuration per node, part configurations, start, kill -9,
 * and the shell answers tests wait for. {@link #close()} stops every process it started.
 */
final class Controllers implements AutoCloseable {
    static final String KEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    private final Path root;
    private final Map<Integer, Integer> ports = new LinkedHashMap<>();
    private final Map<Integer, RuntimeIT.Node> running = new LinkedHashMap<>();
    private final List<RuntimeIT.Node> started = new ArrayList<>();

    /** Nodes 1 to {@code count}, each with a free UDP port and its transport configured. */
    Controllers(Path root, int count) throws IOException {
        this.root = root;
        for (int n = 1; n <= count; n++) ports.put(n, freeUdpPort());
        for (int n = 1; n <= count; n++) writeTransport(n);
    }

    Path data(int node) {
        return root.resolve("node" + node);
    }

    Path deploy(int node) {
        return data(node).resolve("deploy");
    }

    private void writeTransport(int node) throws IOException {
        Files.createDirectories(deploy(node));
        StringBuilder peers = new StringBuilder();
        for (Map.Entry<Integer, Integer> p : ports.entrySet()) {
            if (peers.length() > 0) peers.append(", ");
            peers.append(p.getKey()).append("=127.0.0.1:").append(p.getValue());
        }
        Files.writeString(deploy(node).resolve("psr.transport.udp.cfg"), "node.id = " + node + "\ncluster.id = 7\npeers = " + peers
                + "\nkeys = 1=hex:" + KEY + "\nsocket.receive.buffer.bytes = 4194304\n");
    }

    /** A durable part on every node, replicas in the order given (the first is the first primary), plus extra properties. */
    void configurePart(String part, String replicas, String extra) throws IOException {
        for (int node : ports.keySet()) {
            Files.writeString(deploy(node).resolve("psr.part-" + part + ".cfg"), "part = " + part + "\nnode = " + node
                    + "\nreplicas = " + replicas + "\nstorage.directory = " + data(node).resolve("storage/" + part) + "\n" + extra);
        }
    }

    /** Copies a bundle into every node's deploy folder. */
    void deployEverywhere(Path bundle) throws IOException {
        for (int node : ports.keySet()) Files.copy(bundle, deploy(node).resolve(bundle.getFileName()));
    }

    Iterable<Integer> nodes() {
        return ports.keySet();
    }

    Iterable<Integer> running() {
        return new ArrayList<>(running.keySet());
    }

    void start(int node) throws IOException, InterruptedException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                RuntimeIT.JAR.toAbsolutePath().toString(), "--data", data(node).toString());
        Process process = new ProcessBuilder(command).directory(root.toFile()).redirectErrorStream(true).start();
        RuntimeIT.Node n = new RuntimeIT.Node(process);
        running.put(node, n);
        started.add(n);
        n.await("PSR runtime started: ");
    }

    /** kill -9. */
    void kill(int node) throws InterruptedException {
        RuntimeIT.Node n = running.remove(node);
        n.process.destroyForcibly();
        if (!n.process.waitFor(10, TimeUnit.SECONDS)) throw new AssertionError("node " + node + " did not die");
    }

    /** Sends a shell command and waits (30 s at most) for output after it that matches; returns the matcher. */
    Matcher ask(int node, String command, Pattern until) throws Exception {
        RuntimeIT.Node n = running.get(node);
        int from = n.output().length();
        n.command(command);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Matcher m = until.matcher(n.output().substring(from));
            if (m.find()) return m;
            if (System.nanoTime() > deadline || !n.process.isAlive()) {
                throw new AssertionError("node " + node + ": no answer matching /" + until + "/ to '" + command + "'; output:\n" + tail(node));
            }
            Thread.sleep(20);
        }
    }

    /** {@code psr:status -1 part}: groups role(1), view(2), primary(3), commit(4); role null while the part is not up. */
    Matcher status(int node, String part) throws Exception {
        return ask(node, "psr:status -1 " + part, Pattern.compile("part=" + Pattern.quote(part)
                + " node=\\d+ role=(\\w+) view=(\\d+) primary=(-?\\d+) qc=\\w+ op=\\d+ commit=(\\d+)|no part '" + Pattern.quote(part) + "'"));
    }

    void awaitPart(int node, String part) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (status(node, part).group(1) == null) {
            if (System.nanoTime() > deadline) throw new AssertionError("node " + node + ": part " + part + " never came up:\n" + tail(node));
            Thread.sleep(100);
        }
    }

    /** The running node that is the part's serving primary, within {@code boundMs}. */
    int awaitPrimary(String part, long boundMs) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMs);
        while (System.nanoTime() < deadline) {
            for (int n : running()) {
                if ("PRIMARY".equals(status(n, part).group(1))) return n;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no primary of " + part + " within " + boundMs + " ms");
    }

    /**
     * A LOCAL read of one key at {@code node}: its value as printed by {@code psr:get -l -1}, or null when absent. A key
     * Gogo would expand (one with {@code $}) is passed in single quotes.
     */
    String localValue(int node, String part, String key) throws Exception {
        String unquoted = key.startsWith("'") ? key.substring(1, key.length() - 1) : key;
        Matcher m = ask(node, "psr:get -l -1 " + part + " " + key, Pattern.compile("key=" + Pattern.quote(unquoted)
                + " type=\\w+ value=(\\S+)|no keys|\\(none\\)|\\(absent\\)"));
        return m.group(1);
    }

    String tail(int node) {
        RuntimeIT.Node n = running.get(node);
        if (n == null) return "(node " + node + " is not running)";
        String out = n.output();
        return out.substring(Math.max(0, out.length() - 8000));
    }

    Path logFile(int node) {
        return data(node).resolve("logs/psr.log");
    }

    @Override
    public void close() throws InterruptedException {
        for (RuntimeIT.Node n : started) {
            n.process.destroy();
            if (!n.process.waitFor(15, TimeUnit.SECONDS)) n.process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
        }
    }

    static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
