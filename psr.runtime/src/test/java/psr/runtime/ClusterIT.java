package psr.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three controllers as three real runtime processes on 127.0.0.1, replicating one part over the UDP
 * transport, driven through their shells like an operator would: writes commit; kill -9 of the primary gives
 * a new primary within the bound and no acknowledged write is lost; the killed node restarts from its disk and
 * rejoins; replacing the transport bundle of a node while writes go on loses nothing committed.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ClusterIT {
    /** The part's election timeout (ms); a failover takes at most about two of them plus a few round trips. */
    static final int ELECTION_TIMEOUT_MS = 500;
    static final long FAILOVER_BOUND_MS = 4 * ELECTION_TIMEOUT_MS + 2_000;
    static final Path TRANSPORT_JAR = Path.of(System.getProperty("psr.transport.jar",
            "../psr.transport.udp/target/psr.transport.udp-0.1.0-SNAPSHOT.jar"));

    @TempDir
    Path temp;

    private final Map<Integer, RuntimeIT.Node> nodes = new LinkedHashMap<>();
    private final List<RuntimeIT.Node> all = new ArrayList<>();
    private final Map<Integer, Integer> ports = new LinkedHashMap<>();
    /** Every write the cluster acknowledged: key to value. */
    private final Map<String, Long> acknowledged = new LinkedHashMap<>();

    @AfterEach
    void destroyAll() throws InterruptedException {
        for (RuntimeIT.Node node : all) {
            node.process.destroy();
            if (!node.process.waitFor(15, TimeUnit.SECONDS)) node.process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
        }
    }

    @Test
    void threeNodesCommitFailOverRejoinAndSurviveATransportSwap() throws Exception {
        for (int n = 1; n <= 3; n++) ports.put(n, freeUdpPort());
        for (int n = 1; n <= 3; n++) configure(n);
        for (int n = 1; n <= 3; n++) start(n);
        for (int n = 1; n <= 3; n++) awaitPart(n);
        int primary = awaitPrimary(nodes.keySet(), 60_000);

        // Writes commit.
        for (int i = 1; i <= 20; i++) put(primary, "k" + i, i);
        put(primary == 1 ? 2 : 1, "forwarded", 7); // a write at a backup is forwarded to the primary

        // kill -9 of the primary: a new primary within the bound, nothing acknowledged lost.
        RuntimeIT.Node killed = nodes.remove(primary);
        long killedAt = System.nanoTime();
        killed.process.destroyForcibly();
        assertTrue(killed.process.waitFor(10, TimeUnit.SECONDS));
        int newPrimary = awaitPrimary(nodes.keySet(), FAILOVER_BOUND_MS);
        long failoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
        System.out.printf("ClusterIT: kill -9 of primary node %d -> node %d primary after %d ms (bound %d ms)%n",
                primary, newPrimary, failoverMs, FAILOVER_BOUND_MS);
        assertEquals(5, get(newPrimary, "k5"), "linearizable read after failover");
        for (int i = 21; i <= 30; i++) put(newPrimary, "k" + i, i);
        assertAllAcknowledgedOn(newPrimary);

        // The killed node restarts from its disk and rejoins as a backup with every committed write.
        start(primary);
        awaitPart(primary);
        awaitCaughtUp(primary, newPrimary);
        assertAllAcknowledgedOn(primary);
        System.out.printf("ClusterIT: node %d restarted and rejoined%n", primary);

        // Replace the transport bundle of a backup while writes go on at the primary.
        int backup = otherThan(newPrimary, primary);
        String bundleId = transportBundleId(backup);
        assertTrue(Files.isRegularFile(TRANSPORT_JAR), "the transport bundle jar to update from: " + TRANSPORT_JAR.toAbsolutePath());
        nodes.get(backup).command("update " + bundleId + " " + TRANSPORT_JAR.toAbsolutePath().toUri());
        nodes.get(backup).await(Pattern.quote("[psr.transport.udp/" + bundleId + "] BundleEvent UPDATED"));
        for (int i = 31; i <= 50; i++) put(newPrimary, "k" + i, i);
        awaitCaughtUp(backup, newPrimary);
        for (int n : nodes.keySet()) assertAllAcknowledgedOn(n);
        Matcher counters = ask(newPrimary, "psr:transport -1", Pattern.compile("node=\\d+ [^\\n]*bad_tag=(\\d+)[^\\n]*received=(\\d+)"));
        assertEquals("0", counters.group(1), "no datagram failed authentication");
        assertTrue(Long.parseLong(counters.group(2)) > 0, counters.group());
        System.out.printf("ClusterIT: transport bundle %s of node %d replaced while 20 writes committed; nothing lost%n", bundleId, backup);

        // Maintenance switch-over to the node whose transport was replaced.
        Matcher moved = ask(newPrimary, "psr:transfer line " + backup, Pattern.compile("node (\\d+) is now the primary of line|((?:gogo|Exception)[^\\n]*)"));
        assertEquals(String.valueOf(backup), moved.group(1), "switch-over: " + moved.group());
        assertEquals(backup, awaitPrimary(nodes.keySet(), FAILOVER_BOUND_MS));
        put(backup, "after-switch-over", 1);
        for (int n : nodes.keySet()) if (n != backup) awaitCaughtUp(n, backup);
        System.out.printf("ClusterIT: psr:transfer moved the primary from node %d to node %d%n", newPrimary, backup);
    }

    // --------------------------------------------------------------------------------------------
    // Set-up.

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void configure(int node) throws IOException {
        Path deploy = temp.resolve("node" + node).resolve("deploy");
        Files.createDirectories(deploy);
        StringBuilder peers = new StringBuilder();
        for (Map.Entry<Integer, Integer> p : ports.entrySet()) {
            if (peers.length() > 0) peers.append(", ");
            peers.append(p.getKey()).append("=127.0.0.1:").append(p.getValue());
        }
        Files.writeString(deploy.resolve("psr.transport.udp.cfg"), "node.id = " + node + "\ncluster.id = 7\npeers = " + peers
                + "\nkeys = 1=hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
                + "socket.receive.buffer.bytes = 4194304\n");
        Files.writeString(deploy.resolve("psr.part-line.cfg"), "part = line\nnode = " + node + "\nreplicas = 1,2,3\n"
                + "storage.directory = " + temp.resolve("node" + node).resolve("storage/line") + "\n"
                + "election.timeout.ms = " + ELECTION_TIMEOUT_MS + "\n");
    }

    private void start(int node) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(RuntimeIT.JAR.toAbsolutePath().toString());
        command.add("--data");
        command.add(temp.resolve("node" + node).toString());
        Process process = new ProcessBuilder(command).directory(temp.toFile()).redirectErrorStream(true).start();
        RuntimeIT.Node n = new RuntimeIT.Node(process);
        nodes.put(node, n);
        all.add(n);
        n.await("PSR runtime started: ");
    }

    // --------------------------------------------------------------------------------------------
    // The shell.

    /** Sends a command and waits for output after it that matches; returns the matcher. */
    private Matcher ask(int node, String command, Pattern until) throws Exception {
        RuntimeIT.Node n = nodes.get(node);
        int from = n.output().length();
        n.command(command);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            Matcher m = until.matcher(n.output().substring(from));
            if (m.find()) return m;
            if (System.nanoTime() > deadline || !n.process.isAlive()) {
                throw new AssertionError("node " + node + ": no answer matching /" + until + "/ to '" + command + "'; output:\n"
                        + n.output().substring(Math.max(0, n.output().length() - 4000)));
            }
            Thread.sleep(20);
        }
    }

    private static final Pattern STATUS = Pattern.compile("part=line node=(\\d+) role=(\\w+) view=(\\d+) primary=(-?\\d+) qc=(\\w+) op=(\\d+) commit=(\\d+)");

    private Matcher status(int node) throws Exception {
        return ask(node, "psr:status -1 line", Pattern.compile(STATUS.pattern() + "|no part 'line'"));
    }

    private int awaitPrimary(Iterable<Integer> among, long boundMs) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMs);
        while (System.nanoTime() < deadline) {
            for (int n : among) {
                Matcher m = status(n);
                if (m.group(2) != null && m.group(2).equals("PRIMARY")) return n;
            }
            Thread.sleep(50);
        }
        StringBuilder b = new StringBuilder();
        for (int n : among) {
            String out = nodes.get(n).output();
            b.append(status(n).group()).append("\nnode ").append(n).append(" output:\n")
                    .append(out, Math.max(0, out.length() - 5000), out.length()).append('\n');
        }
        throw new AssertionError("no primary within " + boundMs + " ms:\n" + b);
    }

    private void put(int node, String key, long value) throws Exception {
        Matcher m = ask(node, "psr:put line " + key + " int64 " + value, Pattern.compile("committed at op (\\d+)|((?:gogo|Exception|Error)[^\\n]*)"));
        if (m.group(1) == null) throw new AssertionError("node " + node + ": put " + key + " failed: " + m.group(2) + "; its output:\n" + tail(node));
        acknowledged.put(key, value);
    }

    private long get(int node, String key) throws Exception {
        Matcher m = ask(node, "psr:get -1 line " + key, Pattern.compile("key=" + Pattern.quote(key) + " type=int64 value=(-?\\d+)|\\(absent\\)"));
        return m.group(1) == null ? Long.MIN_VALUE : Long.parseLong(m.group(1));
    }

    private void assertAllAcknowledgedOn(int node) throws Exception {
        Matcher m = ask(node, "psr:get -l -1 line", Pattern.compile("((?:key=[^\\n]*\\n?)+)"));
        // The local dump is printed in one piece; wait a moment for all of it, then read it again.
        Thread.sleep(200);
        String dump = nodes.get(node).output();
        for (Map.Entry<String, Long> e : acknowledged.entrySet()) {
            assertTrue(dump.contains("key=" + e.getKey() + " type=int64 value=" + e.getValue() + " "),
                    "node " + node + " lacks acknowledged " + e.getKey() + "=" + e.getValue() + "; dump:\n" + m.group(1));
        }
    }

    private void awaitCaughtUp(int node, int primary) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Matcher mine = status(node);
            Matcher theirs = status(primary);
            if (mine.group(2) != null && mine.group(2).equals("BACKUP") && theirs.group(7) != null
                    && mine.group(7).equals(theirs.group(7))) {
                return;
            }
            if (System.nanoTime() > deadline) {
                String out = nodes.get(node).output();
                throw new AssertionError("node " + node + " did not catch up: " + mine.group() + " vs " + theirs.group()
                        + "; its output:\n" + out.substring(Math.max(0, out.length() - 6000)));
            }
            Thread.sleep(100);
        }
    }

    /** The node's log file without the lines of our own shell commands. */
    private String logOf(int node) throws IOException {
        Path log = temp.resolve("node" + node).resolve("logs/psr.log");
        if (!Files.exists(log)) return "(no log file)";
        StringBuilder b = new StringBuilder();
        for (String line : Files.readAllLines(log)) {
            if (!line.contains("no part 'line'")) b.append(line).append('\n');
        }
        return b.substring(Math.max(0, b.length() - 12000));
    }

    private String tail(int node) {
        String out = nodes.get(node).output();
        return out.substring(Math.max(0, out.length() - 8000));
    }

    /** Waits until the node's replica of the part is up (its configuration is read a moment after start). */
    private void awaitPart(int node) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (status(node).group(1) == null) {
            if (System.nanoTime() > deadline) throw new AssertionError("node " + node + ": part line never came up; its log:\n" + logOf(node));
            Thread.sleep(100);
        }
    }

    private String transportBundleId(int node) throws Exception {
        return ask(node, "lb -s", Pattern.compile("(\\d+)\\|Active\\s*\\|\\s*\\d+\\|psr\\.transport\\.udp")).group(1);
    }

    private int otherThan(int a, int b) {
        for (int n = 1; n <= 3; n++) if (n != a && n != b) return n;
        throw new AssertionError();
    }
}
