package psr.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the packaged runtime jar as a child process, the way an operator does, and talks to its shell
 * through stdin. Every wait is bounded; every process is destroyed after the test.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RuntimeIT {

    static final long WAIT_MILLIS = 60_000;
    static final Path JAR = Path.of(System.getProperty("psr.runtime.jar", "target/psr-runtime.jar"));

    @TempDir
    Path temp;

    private final List<Node> nodes = new ArrayList<>();

    @AfterEach
    void destroyAll() throws InterruptedException {
        for (Node node : nodes) {
            node.process.destroy();
            if (!node.process.waitFor(15, TimeUnit.SECONDS)) {
                node.process.destroyForcibly().waitFor(15, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void helpPrintsTheOptions() throws Exception {
        Node node = start(List.of("--help"));
        assertEquals(0, node.exitCode());
        assertTrue(node.output().contains("--data DIR"), node.output());
        assertTrue(node.output().contains("--log-level LEVEL"), node.output());
    }

    @Test
    void aMissingDataDirectoryIsAUsageError() throws Exception {
        Node node = start(List.of());
        assertEquals(Launcher.EXIT_USAGE, node.exitCode());
        assertTrue(node.output().contains("psr: no data directory: give --data DIR"), node.output());
    }

    @Test
    void aRunningNodeLocksItsDataDirectoryInstallsDeployedBundlesAndConfigurations() throws Exception {
        Path data = temp.resolve("node1");
        Path deploy = data.resolve("deploy");
        Node node = start(List.of("--data", data.toString(), "--log-level", "INFO"));
        node.await("PSR runtime started: ");
        assertTrue(node.output().contains("data directory : " + data), node.output());
        assertTrue(node.output().contains("deploy folder  : " + deploy), node.output());
        assertTrue(node.output().contains("log file       : " + data.resolve("logs/psr.log")), node.output());

        // A second runtime on the same data directory refuses and changes nothing there.
        List<String> before = listing(data);
        String lockBefore = Files.readString(data.resolve(Launcher.LOCK_FILE));
        Node second = start(List.of("--data", data.toString()));
        assertEquals(Launcher.EXIT_LOCKED, second.exitCode(), second.output());
        assertTrue(second.output().contains("psr: data directory " + data + " is in use by another PSR runtime (pid "
                + node.process.pid() + ", lock file"), second.output());
        assertEquals(before, listing(data));
        assertEquals(lockBefore, Files.readString(data.resolve(Launcher.LOCK_FILE)));

        // The storage component waits for its configuration; a .cfg dropped into the deploy folder makes one.
        node.command("scr:list");
        node.await(Pattern.quote("psr.osal.linux.storage in bundle ") + "\\d+ .* enabled, 0 instances");
        Path storage = temp.resolve("storage");
        dropIn(deploy, "psr.osal.linux.storage-main.cfg",
                ("psr.storage = main\ndirectory = " + storage + "\n").getBytes(StandardCharsets.UTF_8));
        node.await(Pattern.quote("storage 'main' ready in " + storage));
        // "ready" is logged inside activate(): a scr:list at that moment still says SATISFIED, so ask until it is ACTIVE.
        node.awaitAsking("scr:list", "State:ACTIVE, PID\\(s\\): \\[psr.osal.linux.storage~main\\]");

        // A bundle jar dropped in is installed and started; removed, it is uninstalled.
        dropIn(deploy, "dropin.jar", bundle("psr.test.dropin", "PSR drop-in test bundle", "1.0.0"));
        node.await(Pattern.quote("[psr.test.dropin/") + "\\d+\\] BundleEvent STARTED");
        node.command("lb");
        node.await("\\|Active +\\| +\\d+\\|PSR drop-in test bundle \\(1\\.0\\.0\\)");
        // Replacing the jar updates the bundle in place.
        dropIn(deploy, "dropin.jar", bundle("psr.test.dropin", "PSR drop-in test bundle", "1.0.1"));
        node.await(Pattern.quote("[psr.test.dropin/") + "\\d+\\] BundleEvent UPDATED");
        // After UPDATED the bundle is started again a moment later: ask until lb shows it active.
        long activeBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Pattern updatedActive = Pattern.compile("\\|Active +\\| +\\d+\\|PSR drop-in test bundle \\(1\\.0\\.1\\)");
        while (!updatedActive.matcher(node.output()).find()) {
            assertTrue(System.nanoTime() < activeBy, "the updated bundle never showed as active:\n" + node.output());
            node.command("lb");
            Thread.sleep(300);
        }
        Files.delete(deploy.resolve("dropin.jar"));
        node.await(Pattern.quote("[psr.test.dropin/") + "\\d+\\] BundleEvent UNINSTALLED");

        // The log file holds what the console showed (it may be written a moment after the console line).
        Path logFile = data.resolve("logs/psr.log");
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
        String logged = Files.readString(logFile);
        while (!logged.contains("BundleEvent UNINSTALLED") && System.nanoTime() < deadline) {
            Thread.sleep(50);
            logged = Files.readString(logFile);
        }
        assertTrue(logged.contains("storage 'main' ready in " + storage), logged);
        assertTrue(logged.contains("BundleEvent UNINSTALLED"), logged);

        node.command("stop 0");
        assertEquals(0, node.exitCode(), node.output());
        assertTrue(node.output().contains("PSR runtime stopped"), node.output());
    }

    @Test
    void aPropertiesFileGivesTheDirectoriesAndPassesFrameworkProperties() throws Exception {
        Path config = temp.resolve("conf/node.properties");
        Files.createDirectories(config.getParent());
        Files.writeString(config, "psr.data = ../nodeX\npsr.deploy = ../dropbox\npsr.log.level = warn\n"
                + "psr.itest.marker = x\n");
        Node refused = start(List.of("--config", config.toString()));
        assertEquals(Launcher.EXIT_USAGE, refused.exitCode());
        assertTrue(refused.output().contains("unknown property 'psr.itest.marker'"), refused.output());

        Files.writeString(config, "psr.data = ../nodeX\npsr.deploy = ../dropbox\npsr.log.level = warn\n"
                + "org.osgi.framework.os.name = VxWorks\n");
        Node node = start(List.of("--config", config.toString()));
        node.await("PSR runtime started: ");
        assertTrue(node.output().contains("data directory : " + temp.resolve("nodeX")), node.output());
        assertTrue(node.output().contains("deploy folder  : " + temp.resolve("dropbox")), node.output());
        assertTrue(node.output().contains("(level WARN)"), node.output());
        assertTrue(Files.isRegularFile(temp.resolve("nodeX/logs/psr.log")));
        node.command("lb");
        node.await("PSR OSAL for Linux");
        // -D and file properties reach the framework (issue 5 selects the OSAL backend by this one).
        node.command("$.context property org.osgi.framework.os.name");
        node.await("\\bVxWorks\\b");
        node.command("stop 0");
        assertEquals(0, node.exitCode(), node.output());
    }

    @Test
    void configuredPartsThatDoNotRunAreListedWithTheReason() throws Exception {
        Path data = temp.resolve("parts");
        Path deploy = data.resolve("deploy");
        Files.createDirectories(deploy);
        // Part boiler waits for a transport that is not there; part pump has a bad value: it fails to activate.
        Files.writeString(deploy.resolve("psr.transport.udp.cfg"), "node.id = 1\ncluster.id = 7\npeers = 1=127.0.0.1:"
                + Controllers.freeUdpPort() + ", 2=127.0.0.1:" + Controllers.freeUdpPort() + "\n"
                + "keys = 1=hex:" + Controllers.KEY + "\n");
        Files.writeString(deploy.resolve("psr.part-boiler.cfg"), "part = boiler\nnode = 1\nreplicas = 1,2,3\nstorage.directory = "
                + data.resolve("storage/boiler") + "\ntransport.target = (psr.node=9)\n");
        Files.writeString(deploy.resolve("psr.part-pump.cfg"), "part = pump\nnode = 1\nreplicas = 2,3\nstorage.directory = "
                + data.resolve("storage/pump") + "\n");
        Node node = start(List.of("--data", data.toString()));
        node.await("PSR runtime started: ");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Pattern waiting = Pattern.compile("boiler\\s+NOT RUNNING \\(WAITING\\): waiting for transport matching \\(psr.node=9\\)");
        Pattern failed = Pattern.compile("pump\\s+NOT RUNNING \\(FAILED\\): configuration psr.part~pump[^:]*: property replicas = '2,3'"
                + " is not allowed: expected a list that contains this node \\(1\\)");
        while (!(waiting.matcher(node.output()).find() && failed.matcher(node.output()).find())) {
            assertTrue(System.nanoTime() < deadline, "psr:parts did not list both configured parts with their reasons:\n" + node.output());
            node.command("psr:parts");
            Thread.sleep(300);
        }
        node.command("psr:status -1 boiler");
        node.await("no part 'boiler' running on this node: it is configured but WAITING: waiting for transport matching \\(psr.node=9\\)");
        // The transport's configuration has its key inline: scr:info shows the component's properties, never the key (the
        // transport bundle's ConfigurationAdmin plugin keeps it out of them).
        int before = node.output().length();
        node.command("scr:info psr.transport.udp");
        node.command("echo \"scr-info\" \"done\"");
        node.await("scr-info done");
        String info = node.output().substring(before);
        // Felix SCR prints each property as name<Type> = value; the transport runs, so it got its key.
        assertTrue(Pattern.compile("State:\\s+ACTIVE").matcher(info).find(), "the transport does not run:\n" + info);
        assertTrue(Pattern.compile("cluster\\.id(<\\w+>)?\\s*=\\s*7").matcher(info).find(), "scr:info printed no component properties:\n" + info);
        assertTrue(Pattern.compile("peers(<\\w+>)?\\s*=").matcher(info).find(), "scr:info printed no component properties:\n" + info);
        assertFalse(Pattern.compile("\\skeys(<\\w+>)?\\s*=").matcher(info).find(), "scr:info lists the keys property:\n" + info);
        assertFalse(node.output().contains(Controllers.KEY), "the cluster key shows in the console:\n" + info);
        node.command("stop 0");
        assertEquals(0, node.exitCode(), node.output());
    }

    @Test
    void theShellTakesNegativeNumbersAndDashKeysAsValuesAndDoesCompareAndSet() throws Exception {
        Path data = temp.resolve("shell");
        Node node = startWithOneReplicaPart(data);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!node.output().contains("committed at op")) {
            assertTrue(System.nanoTime() < deadline, "no commit:\n" + node.output());
            node.command("psr:put boiler offset int32 -1");
            Thread.sleep(300);
        }
        node.command("psr:get -1 boiler offset");
        node.await("key=offset type=int32 value=-1 ");
        node.command("psr:put -- boiler -l string \"two words\"");
        node.await("committed at op \\d+");
        node.command("psr:get -1 -- boiler -l");
        node.await("key=-l type=string value=\"two words\" ");
        node.command("psr:get boiler -l");
        node.await("option -l must come before the part");
        node.command("psr:cas boiler offset int32 -1 5");
        node.await("committed at op \\d+ in view 0\\s");
        node.command("psr:cas boiler offset int32 -1 6");
        node.await("not applied \\(the key did not hold the expected value\\)");
        node.command("psr:cas -1 -a boiler fresh bool true");
        node.await("committed op=\\d+ view=0 applied=true");
        node.command("psr:get -1 boiler offset");
        node.await("key=offset type=int32 value=5 ");

        // Scripts reach the running controller through its command socket, without its console.
        Exec got = exec(data, "psr:get -1 boiler offset");
        assertEquals(0, got.code, got.toString());
        assertTrue(got.out.contains("key=offset type=int32 value=5 "), got.toString());
        Exec put = exec(data, "psr:put boiler offset int32 -7");
        assertEquals(0, put.code, put.toString());
        assertTrue(put.out.startsWith("committed at op "), put.toString());
        Exec bad = exec(data, "psr:put boiler offset int33 1");
        assertEquals(1, bad.code, bad.toString());
        assertTrue(bad.err.contains("unknown type 'int33'"), bad.toString());
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("run/psr.sock"))));
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("run"))));
        Exec none = exec(temp.resolve("nobody-here"), "psr:parts");
        assertEquals(5, none.code, none.toString());
        assertTrue(none.err.contains("no PSR runtime answers on"), none.toString());
        node.command("stop 0");
        assertEquals(0, node.exitCode(), node.output());
    }

    @Test
    void ctrlCEndsAWatchNotTheControllerAndSigtermStopsCleanlyWithExitZero() throws Exception {
        Path data = temp.resolve("signals");
        Node node = startWithOneReplicaPart(data);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        // The role in a psr:status -1 line, not the word PRIMARY (psr:parts prints it in its header row).
        while (!node.output().contains("part=boiler node=1 role=PRIMARY")) {
            assertTrue(System.nanoTime() < deadline, "part never up:\n" + node.output());
            node.command("psr:status -1 boiler");
            Thread.sleep(300);
        }
        // The storage directory records its owner, the cluster from the transport's cluster.id included.
        assertEquals("part=boiler\nnode=1\ncluster=7\n", Files.readString(data.resolve("storage/boiler/owner")));
        node.command("psr:watch boiler 100 120");
        node.await("watching part boiler on this node: until 100 changed key\\(s\\) or 120 s");
        signal(node, "INT");
        node.await("0 change\\(s\\) \\(watch ended by Ctrl-C\\)");
        node.command("psr:put boiler after int32 1");
        node.await("committed at op \\d+");
        signal(node, "TERM");
        assertEquals(Launcher.EXIT_OK, node.exitCode(), node.output());
        assertTrue(node.output().contains("PSR runtime stopped (stopped)"), node.output());
    }

    @Test
    void stopWithEndsTheRuntimeCleanlyWhenTheWatchedProcessIsKilled() throws Exception {
        // A stand-in for a supervisor (the demo plant): when it dies by kill -9, its child runtime must not live on.
        Process supervisor = new ProcessBuilder("sleep", "600").start();
        try {
            Node node = start(List.of("--data", temp.resolve("child").toString(), "--no-shell", "--stop-with",
                    String.valueOf(supervisor.pid())));
            node.await("PSR runtime started: ");
            node.await("stops when process " + supervisor.pid() + " ends \\(--stop-with\\)");
            supervisor.destroyForcibly().waitFor();
            assertEquals(Launcher.EXIT_OK, node.exitCode(), node.output());
            assertTrue(node.output().contains("process " + supervisor.pid() + " ended (--stop-with); stopping"), node.output());
            assertTrue(node.output().contains("PSR runtime stopped (stopped)"), node.output());
        } finally {
            supervisor.destroyForcibly();
        }
        Node bad = start(List.of("--data", temp.resolve("bad").toString(), "--stop-with", "abc"));
        assertEquals(Launcher.EXIT_USAGE, bad.exitCode(), bad.output());
        assertTrue(bad.output().contains("option --stop-with needs a process id (a positive number), not 'abc'"), bad.output());
    }

    /** A runtime on {@code data} with a transport and part boiler replicated by this node alone; started. */
    private Node startWithOneReplicaPart(Path data) throws Exception {
        Path deploy = data.resolve("deploy");
        Files.createDirectories(deploy);
        Files.writeString(deploy.resolve("psr.transport.udp.cfg"), "node.id = 1\ncluster.id = 7\npeers = 1=127.0.0.1:"
                + Controllers.freeUdpPort() + ", 2=127.0.0.1:" + Controllers.freeUdpPort() + "\nkeys = 1=hex:" + Controllers.KEY + "\n");
        Files.writeString(deploy.resolve("psr.part-boiler.cfg"), "part = boiler\nnode = 1\nreplicas = 1\nstorage.directory = "
                + data.resolve("storage/boiler") + "\n");
        Node node = start(List.of("--data", data.toString()));
        node.await("PSR runtime started: ");
        return node;
    }

    record Exec(int code, String out, String err) {}

    /** java -jar psr-runtime.jar --data DIR --exec COMMAND, as a script runs it. */
    private static Exec exec(Path data, String command) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                JAR.toAbsolutePath().toString(), "--data", data.toString(), "--exec", command).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "--exec did not end");
        return new Exec(p.exitValue(), out, err);
    }

    private static void signal(Node node, String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(node.process.pid())).inheritIO().start();
        assertEquals(0, kill.waitFor(), "kill -" + signal);
    }

    private static byte[] bundle(String symbolicName, String name, String version) throws IOException {
        Manifest manifest = new Manifest();
        Attributes main = manifest.getMainAttributes();
        main.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        main.putValue("Bundle-ManifestVersion", "2");
        main.putValue("Bundle-SymbolicName", symbolicName);
        main.putValue("Bundle-Name", name);
        main.putValue("Bundle-Version", version);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            jar.closeEntry();
        }
        return bytes.toByteArray();
    }

    /** Writes beside the folder, then moves in, so the watcher never sees a half-written file. */
    private void dropIn(Path deploy, String fileName, byte[] content) throws IOException {
        Path staged = Files.write(temp.resolve(fileName), content);
        Files.move(staged, deploy.resolve(fileName), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    private Node start(List<String> arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-jar");
        command.add(JAR.toAbsolutePath().toString());
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).directory(temp.toFile()).redirectErrorStream(true).start();
        Node node = new Node(process);
        nodes.add(node);
        return node;
    }

    /** One child runtime: its merged stdout/stderr collected by a reader thread, its stdin as the shell. */
    static final class Node {
        final Process process;
        private final StringBuffer output = new StringBuffer();
        private final Thread reader;

        Node(Process process) {
            this.process = process;
            this.reader = new Thread(() -> {
                try (InputStream in = process.getInputStream()) {
                    byte[] buffer = new byte[8192];
                    for (int n; (n = in.read(buffer)) > 0;) {
                        output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException e) {
                    output.append("\n[reader: ").append(e).append("]\n");
                }
            }, "runtime-output");
            reader.setDaemon(true);
            reader.start();
        }

        String output() {
            return output.toString();
        }

        void command(String line) throws IOException {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        }

        void await(String regex) throws InterruptedException {
            Pattern pattern = Pattern.compile(regex);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
            while (!pattern.matcher(output.toString()).find()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no output matching /" + regex + "/ within " + WAIT_MILLIS
                            + " ms; output so far:\n" + output);
                }
                if (!process.isAlive() && !reader.isAlive() && !pattern.matcher(output.toString()).find()) {
                    throw new AssertionError("the runtime exited (" + process.exitValue()
                            + ") without output matching /" + regex + "/; output:\n" + output);
                }
                Thread.sleep(50);
            }
        }

        /** Runs {@code line} every half second until the output matches {@code regex} (at most WAIT_MILLIS). */
        void awaitAsking(String line, String regex) throws IOException, InterruptedException {
            Pattern pattern = Pattern.compile(regex);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MILLIS);
            while (!pattern.matcher(output.toString()).find()) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("no output matching /" + regex + "/ within " + WAIT_MILLIS + " ms of asking '" + line
                            + "'; output so far:\n" + output);
                }
                command(line);
                Thread.sleep(500);
            }
        }

        int exitCode() throws InterruptedException {
            if (!process.waitFor(WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
                throw new AssertionError("the runtime did not exit within " + WAIT_MILLIS + " ms; output:\n" + output);
            }
            reader.join(WAIT_MILLIS);
            return process.exitValue();
        }
    }

    static {
        if (!Files.isRegularFile(JAR)) {
            throw new UncheckedIOException(new IOException("no runtime jar at " + JAR.toAbsolutePath()
                    + "; run the integration-test phase (mvn verify), which packages it first"));
        }
    }
}
