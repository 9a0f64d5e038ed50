package psr.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

import psr.runtime.bigstate.BigStateCommands;

/**
 * A part whose state is far larger than any transport message catches up over real UDP with bounded memory.
 *
 * <p>Three runtime processes on 127.0.0.1, durable storage. A small control application (the bundle
 * {@link BigStateCommands}, dropped into each deploy folder) fills the part with {@code psr.bigstate.bytes} of
 * committed state (keys of 64 KiB values) through the part's state service; the replicas checkpoint it (the
 * checkpoint interval is an eighth of the keys). Then one backup is stopped, its storage directory wiped (so it must
 * fetch the whole checkpoint, in chunks of the message budget) and restarted as a replacement controller
 * ({@code start.mode = recover}) with a heap of at most {@code psr.bigstate.receiver.xmx}. It must catch up: the same
 * commit-number as the primary, every key with exactly the bytes written, and the same digest as the primary.
 *
 * <p>Printed: catch-up time, the receiver's peak RSS (VmHWM) and peak heap (from its GC log), the messages and bytes it
 * received, and how many checkpoint chunks the state needs. CI runs 32 MiB (64 chunks); the 256 MiB run of
 * issue 9 is {@code -Dpsr.bigstate.bytes=268435456} (see psr.runtime/README.md).
 */
@Timeout(value = 30, unit = TimeUnit.MINUTES)
class BigStateIT {
    static final long STATE_BYTES = Long.getLong("psr.bigstate.bytes", 32L << 20);
    static final int VALUE_BYTES = Integer.getInteger("psr.bigstate.value.bytes", 64 * 1024);
    static final int KEYS = (int) (STATE_BYTES / VALUE_BYTES);
    /** The receiver's -Xmx, in MiB: by default three times the state plus 160 MiB for the runtime itself. */
    static final long RECEIVER_XMX_MIB = Long.getLong("psr.bigstate.receiver.xmx.mib", 3 * (STATE_BYTES >> 20) + 160);
    /**
     * Checkpoint every eighth of the keys: the newest checkpoint then holds at least seven eighths of the state
     * (replicas checkpoint after the batch of commits that passes the interval, so their checkpoint ops drift apart).
     */
    static final int CHECKPOINT_INTERVAL = Math.max(4, KEYS / 8);
    /** The message budget PartRuntime derives from the transport's default message limit (1 MiB): half of it. */
    static final int BUDGET_BYTES = 512 * 1024;
    /**
     * socket.receive.buffer.bytes of every node's transport; by default not configured (the transport's default, as
     * in the README's example); 0 keeps the OS default (208 KiB on Linux, less than one state transfer message).
     */
    static final int RECEIVE_BUFFER_BYTES = Integer.getInteger("psr.bigstate.rcvbuf", -1);
    static final long CATCH_UP_BOUND_MS = Long.getLong("psr.bigstate.catchup.bound.ms", 600_000);

    /** Kept when the test fails, for the nodes' logs (its path is printed). */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path temp;

    private final Map<Integer, RuntimeIT.Node> nodes = new LinkedHashMap<>();
    private final List<RuntimeIT.Node> all = new ArrayList<>();
    private final Map<Integer, Integer> ports = new LinkedHashMap<>();

    @AfterEach
    void destroyAll() throws InterruptedException {
        for (RuntimeIT.Node node : all) {
            node.process.destroy();
            if (!node.process.waitFor(30, TimeUnit.SECONDS)) node.process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
        }
    }

    @Test
    void aBackupWithAWipedDiskCatchesUpOnALargeStateOverUdpWithBoundedMemory() throws Exception {
        assertTrue(KEYS >= 8 && STATE_BYTES / BUDGET_BYTES >= 16, "the state must need many chunks: " + STATE_BYTES + " bytes");
        System.out.println("BigStateIT: nodes in " + temp + " (kept if the test fails)");
        Path bundle = fillerBundle();
        for (int n = 1; n <= 3; n++) ports.put(n, freeUdpPort());
        for (int n = 1; n <= 3; n++) {
            configure(n, "auto");
            Files.copy(bundle, temp.resolve("node" + n).resolve("deploy").resolve(bundle.getFileName()));
        }
        for (int n = 1; n <= 3; n++) start(n, List.of());
        for (int n = 1; n <= 3; n++) awaitPart(n);
        int primary = awaitPrimary(60_000);

        // Fill the part through its state service at the primary.
        Matcher filled = ask(primary, "bigstate:fill line " + KEYS + " " + VALUE_BYTES,
                Pattern.compile("bigstate filled keys=(\\d+) bytes=(\\d+) lastop=(\\d+) view=(\\d+) retried=(\\d+) ms=(\\d+)|((?:gogo|Exception|Error)[^\\n]*)"), 1_200_000);
        assertTrue(filled.group(1) != null, "fill failed: " + filled.group(7) + "\n" + tail(primary));
        long fillMs = Long.parseLong(filled.group(6));
        Thread.sleep(200); // the retried puts' reasons follow on the next lines
        String fillReport = nodes.get(primary).output().substring(nodes.get(primary).output().lastIndexOf("bigstate filled"));
        System.out.printf("BigStateIT: wrote %d keys x %d bytes = %d MiB at node %d in %d ms (%.1f MiB/s), last op %s, "
                        + "ending in view %s; %s puts had an unknown outcome and were submitted again%n",
                KEYS, VALUE_BYTES, STATE_BYTES >> 20, primary, fillMs, (STATE_BYTES / 1048576.0) / (fillMs / 1000.0), filled.group(3),
                filled.group(4), filled.group(5));
        if (!filled.group(5).equals("0")) System.out.println("BigStateIT: " + fillReport.strip().replace("\ng! ", ""));
        primary = awaitPrimary(60_000);
        // At least the fill's last op: a primary that just took over may not have committed again yet what the
        // previous one acknowledged (its commit-number catches up), and every node must hold all of it.
        long primaryCommit = Math.max(commit(primary), Long.parseLong(filled.group(3)));
        for (int n = 1; n <= 3; n++) awaitCommitAtLeast(n, primaryCommit, 120_000);
        String digest = digest(primary);
        for (int n = 1; n <= 3; n++) assertEquals(digest, digest(n), "node " + n + " digest right after the fill");

        // A checkpoint holding (nearly) all of the state is on the primary's disk: catching up from an empty disk needs it.
        Path checkpointFile = temp.resolve("node" + primary).resolve("storage/line/checkpoint");
        long checkpointBytes = awaitCheckpointOf(checkpointFile, STATE_BYTES - (long) (CHECKPOINT_INTERVAL + 8) * VALUE_BYTES, 120_000);
        System.out.printf("BigStateIT: the primary's checkpoint holds %d bytes (%d MiB): %d chunks of the %d KiB message budget%n",
                checkpointBytes, checkpointBytes >> 20, (checkpointBytes + BUDGET_BYTES - 1) / BUDGET_BYTES, BUDGET_BYTES >> 10);

        // Stop a backup, wipe its storage, restart it as a replacement controller with a bounded heap.
        int backup = primary == 1 ? 2 : 1;
        RuntimeIT.Node stopped = nodes.remove(backup);
        stopped.process.destroy();
        assertTrue(stopped.process.waitFor(60, TimeUnit.SECONDS), "node " + backup + " stops");
        deleteTree(temp.resolve("node" + backup).resolve("storage"));
        configure(backup, "recover");
        Path gcLog = temp.resolve("node" + backup + "-gc.log");
        Map<String, Long> primaryBefore = counters(primary);
        long targetCommit = commit(primary);
        long started = System.nanoTime();
        start(backup, List.of("-Xmx" + RECEIVER_XMX_MIB + "m", "-XX:+ExitOnOutOfMemoryError", "-Xlog:gc:file=" + gcLog));
        RssSampler rss = new RssSampler(nodes.get(backup).process.pid());
        rss.start();
        awaitPart(backup);
        long partUpMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        awaitCommitAtLeast(backup, targetCommit, CATCH_UP_BOUND_MS);
        long caughtUpMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        long hwmKib = rss.stopAndPeakKib();

        // Every key with exactly the bytes written, and the primary's digest.
        Matcher verified = ask(backup, "bigstate:verify line " + KEYS + " " + VALUE_BYTES,
                Pattern.compile("bigstate verify keys=(\\d+) present=(\\d+) wrong=(\\d+)|((?:gogo|Exception|Error)[^\\n]*)"), 120_000);
        assertEquals(String.valueOf(KEYS), verified.group(2), "keys on the caught-up node: " + verified.group());
        assertEquals("0", verified.group(3), "keys whose bytes differ on the caught-up node: " + verified.group());
        assertEquals(digest(primary), digest(backup), "digest of the caught-up node " + backup + " and the primary " + primary);
        Matcher status = status(backup);
        assertEquals("BACKUP", status.group(2), status.group());

        Map<String, Long> received = counters(backup);
        Map<String, Long> primaryAfter = counters(primary);
        long heapPeakMib = peakHeapMib(gcLog);
        System.out.printf("BigStateIT: node %d (wiped, -Xmx%dm) caught up on %d MiB to commit %d in %d ms (part up after %d ms, "
                        + "state transfer %d ms, %.1f MiB/s)%n", backup, RECEIVER_XMX_MIB, STATE_BYTES >> 20, targetCommit, caughtUpMs,
                partUpMs, caughtUpMs - partUpMs, (checkpointBytes / 1048576.0) / ((caughtUpMs - partUpMs) / 1000.0));
        System.out.printf("BigStateIT: receiver peak RSS (VmHWM) %d MiB = %.2f x state; peak heap in use (GC log, before a collection) %d MiB = %.2f x state%n",
                hwmKib >> 10, (hwmKib * 1024.0) / STATE_BYTES, heapPeakMib, (heapPeakMib * 1048576.0) / STATE_BYTES);
        System.out.printf("BigStateIT: receiver got %d messages, %d bytes (%.2f x the checkpoint), %d datagrams; drops: %s; "
                        + "primary sent %d messages, %d bytes meanwhile; %d checkpoint chunks needed%n",
                received.get("received"), received.get("received_bytes"), received.get("received_bytes") / (double) checkpointBytes,
                received.get("received_datagrams"), drops(received), primaryAfter.get("sent") - primaryBefore.get("sent"),
                primaryAfter.get("sent_bytes") - primaryBefore.get("sent_bytes"), (checkpointBytes + BUDGET_BYTES - 1) / BUDGET_BYTES);
        assertTrue(received.get("received_bytes") >= checkpointBytes, "the receiver got the checkpoint over UDP: " + received);
    }

    // --------------------------------------------------------------------------------------------
    // Set-up.

    /** The control application as a bundle jar: BigStateCommands and its inner classes, with a hand-written manifest. */
    private Path fillerBundle() throws IOException {
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        a.putValue("Bundle-SymbolicName", "psr.runtime.bigstate");
        a.putValue("Bundle-Version", "1.0.0");
        a.putValue("Bundle-Activator", BigStateCommands.class.getName());
        a.putValue("Import-Package", "org.osgi.framework;version=\"[1.8,2)\",psr.api.state;version=\"[2.0,3)\"");
        a.putValue("Bundle-RequiredExecutionEnvironment", "JavaSE-17");
        Path classes = Path.of(BigStateCommands.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        Path dir = classes.resolve("psr/runtime/bigstate");
        Path jar = temp.resolve("psr.runtime.bigstate.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m); Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                out.putNextEntry(new JarEntry("psr/runtime/bigstate/" + f.getFileName()));
                out.write(Files.readAllBytes(f));
                out.closeEntry();
            }
        }
        return jar;
    }

    private static int freeUdpPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void configure(int node, String startMode) throws IOException {
        Path deploy = temp.resolve("node" + node).resolve("deploy");
        Files.createDirectories(deploy);
        StringBuilder peers = new StringBuilder();
        for (Map.Entry<Integer, Integer> p : ports.entrySet()) {
            if (peers.length() > 0) peers.append(", ");
            peers.append(p.getKey()).append("=127.0.0.1:").append(p.getValue());
        }
        Files.writeString(deploy.resolve("psr.transport.udp.cfg"), "node.id = " + node + "\ncluster.id = 7\npeers = " + peers
                + "\nkeys = 1=hex:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
                + (RECEIVE_BUFFER_BYTES >= 0 ? "socket.receive.buffer.bytes = " + RECEIVE_BUFFER_BYTES + "\n" : ""));
        Files.writeString(deploy.resolve("psr.part-line.cfg"), "part = line\nnode = " + node + "\nreplicas = 1,2,3\n"
                + "storage.directory = " + temp.resolve("node" + node).resolve("storage/line") + "\n"
                + "checkpoint.interval.ops = " + CHECKPOINT_INTERVAL + "\n"
                + "start.mode = " + startMode + "\n");
    }

    private void start(int node, List<String> jvmOptions) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
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

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) Files.delete(p);
        }
    }

    // --------------------------------------------------------------------------------------------
    // The shell.

    private Matcher ask(int node, String command, Pattern until, long timeoutMs) throws Exception {
        RuntimeIT.Node n = nodes.get(node);
        int from = n.output().length();
        n.command(command);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true) {
            Matcher m = until.matcher(n.output().substring(from));
            if (m.find()) return m;
            if (System.nanoTime() > deadline || !n.process.isAlive()) {
                throw new AssertionError("node " + node + ": no answer matching /" + until + "/ to '" + command + "'"
                        + (n.process.isAlive() ? "" : " (the process exited)") + "; output:\n" + tail(node));
            }
            Thread.sleep(20);
        }
    }

    private static final Pattern STATUS = Pattern.compile("part=line node=(\\d+) role=(\\w+) view=(\\d+) primary=(-?\\d+) qc=(\\w+) op=(\\d+) commit=(\\d+)");

    private Matcher status(int node) throws Exception {
        return ask(node, "psr:status -1 line", Pattern.compile(STATUS.pattern() + "|no part 'line'"), 30_000);
    }

    private long commit(int node) throws Exception {
        Matcher m = status(node);
        assertTrue(m.group(7) != null, "node " + node + " has no part: " + m.group());
        return Long.parseLong(m.group(7));
    }

    private int awaitPrimary(long boundMs) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMs);
        while (System.nanoTime() < deadline) {
            for (int n : nodes.keySet()) {
                Matcher m = status(n);
                if ("PRIMARY".equals(m.group(2))) return n;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no primary within " + boundMs + " ms");
    }

    private void awaitPart(int node) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (status(node).group(1) == null) {
            if (System.nanoTime() > deadline) throw new AssertionError("node " + node + ": part line never came up; output:\n" + tail(node));
            Thread.sleep(100);
        }
    }

    private void awaitCommitAtLeast(int node, long commit, long boundMs) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMs);
        while (true) {
            Matcher m = status(node);
            if (m.group(7) != null && Long.parseLong(m.group(7)) >= commit && "BACKUP PRIMARY".contains(m.group(2))) return;
            if (System.nanoTime() > deadline) {
                StringBuilder others = new StringBuilder();
                for (int n : nodes.keySet()) {
                    others.append("\n  ").append(status(n).group()).append("\n    transport: ").append(ask(n, "psr:transport -1",
                            Pattern.compile("node=\\d+[^\\n]*"), 30_000).group());
                }
                throw new AssertionError("node " + node + " did not reach commit " + commit + " within " + boundMs + " ms: " + m.group()
                        + "\nall nodes:" + others + "\nits output:\n" + tail(node) + "\nits log:\n" + logOf(node));
            }
            Thread.sleep(100);
        }
    }

    private String digest(int node) throws Exception {
        Matcher m = ask(node, "bigstate:digest line", Pattern.compile("bigstate digest keys=(\\d+) bytes=(\\d+) sha256=(\\w+)|((?:gogo|Exception|Error)[^\\n]*)"), 120_000);
        assertTrue(m.group(1) != null, "node " + node + ": digest failed: " + m.group(4));
        assertEquals(String.valueOf(KEYS), m.group(1), "node " + node + ": keys in " + m.group());
        return m.group(3);
    }

    private Map<String, Long> counters(int node) throws Exception {
        Matcher m = ask(node, "psr:transport -1", Pattern.compile("node=\\d+( [a-z_]+=\\d+)+"), 30_000);
        Map<String, Long> out = new LinkedHashMap<>();
        for (String kv : m.group().split(" ")) {
            String[] p = kv.split("=");
            if (!p[0].equals("node")) out.put(p[0], Long.parseLong(p[1]));
        }
        return out;
    }

    private static String drops(Map<String, Long> counters) {
        StringBuilder b = new StringBuilder();
        for (String k : List.of("replay", "oversize", "malformed", "reassembly_timeout", "reassembly_overflow", "queue_full", "bad_tag")) {
            if (counters.getOrDefault(k, 0L) > 0) b.append(b.length() == 0 ? "" : ", ").append(k).append('=').append(counters.get(k));
        }
        return b.length() == 0 ? "none" : b.toString();
    }

    private long awaitCheckpointOf(Path file, long atLeast, long boundMs) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(boundMs);
        while (true) {
            long size = Files.exists(file) ? Files.size(file) : 0;
            if (size >= atLeast) return size;
            if (System.nanoTime() > deadline) throw new AssertionError("no checkpoint of at least " + atLeast + " bytes in " + file + " (" + size + ")");
            Thread.sleep(200);
        }
    }

    /** The largest heap occupancy a unified GC log line reports before a collection ("Pause ... 412M->96M(768M)"). */
    static long peakHeapMib(Path gcLog) throws IOException {
        long peak = 0;
        Matcher m = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)").matcher(Files.exists(gcLog) ? Files.readString(gcLog) : "");
        while (m.find()) peak = Math.max(peak, Math.max(Long.parseLong(m.group(1)), Long.parseLong(m.group(2))));
        return peak;
    }

    private String tail(int node) {
        String out = nodes.get(node).output();
        return out.substring(Math.max(0, out.length() - 6000));
    }

    private String logOf(int node) throws IOException {
        Path log = temp.resolve("node" + node).resolve("logs/psr.log");
        if (!Files.exists(log)) return "(no log file)";
        String s = Files.readString(log);
        return s.substring(Math.max(0, s.length() - 8000));
    }

    /** Reads VmHWM (peak resident set) of a process from /proc while it runs; the last value read is the peak. */
    static final class RssSampler extends Thread {
        private final Path status;
        private final AtomicLong peakKib = new AtomicLong();
        private volatile boolean running = true;

        RssSampler(long pid) {
            super("rss-sampler");
            setDaemon(true);
            this.status = Path.of("/proc/" + pid + "/status");
        }

        @Override
        public void run() {
            while (running) {
                sample();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void sample() {
            try {
                for (String line : Files.readAllLines(status)) {
                    if (line.startsWith("VmHWM:")) peakKib.accumulateAndGet(Long.parseLong(line.replaceAll("\\D", "")), Math::max);
                }
            } catch (IOException | RuntimeException e) {
                // the process has gone: keep the last peak
            }
        }

        long stopAndPeakKib() throws InterruptedException {
            sample();
            running = false;
            join(1000);
            return peakKib.get();
        }
    }
}
