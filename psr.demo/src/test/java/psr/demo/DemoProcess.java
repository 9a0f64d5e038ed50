package psr.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import psr.runtime.LocalCommand;

/**
 * The packaged demo ({@code psr-demo.jar}) as a process, run headless as a script would: its output collected, its
 * standard input taking the demo's commands, its controllers reached over their command sockets.
 */
final class DemoProcess implements AutoCloseable {
    static final Path JAR = Path.of(System.getProperty("psr.demo.jar", "target/psr-demo.jar"));

    final Process process;
    final Path dir;
    private final StringBuffer output = new StringBuffer();

    /** With the embedded broker on a free port, or with the broker options given (e.g. {@code --broker URI}). */
    DemoProcess(Path dir, String... brokerOptions) throws IOException {
        this.dir = dir;
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                JAR.toAbsolutePath().toString(), "--headless", "--fresh", "--dir", dir.toString(), "--web-port", "0"));
        command.addAll(brokerOptions.length == 0 ? List.of("--mqtt-port", "0") : List.of(brokerOptions));
        process = new ProcessBuilder(command).redirectErrorStream(true).start();
        Thread reader = new Thread(() -> {
            try (InputStream in = process.getInputStream()) {
                byte[] buffer = new byte[8192];
                for (int n; (n = in.read(buffer)) > 0;) output.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            } catch (IOException e) {
                output.append("\n[reader: ").append(e).append("]\n");
            }
        }, "demo-output");
        reader.setDaemon(true);
        reader.start();
    }

    String output() {
        return output.toString();
    }

    /** The first group of the first line of the output matching {@code regex}, waiting up to 60 s. */
    String await(String regex) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            Matcher m = p.matcher(output);
            if (m.find()) return m.groupCount() > 0 ? m.group(1) : m.group();
            if (!process.isAlive()) throw new AssertionError("the demo exited (" + process.exitValue() + ") before /" + regex + "/:\n" + output);
            if (System.nanoTime() > deadline) throw new AssertionError("no /" + regex + "/ in the demo's output within 60 s:\n" + output);
            Thread.sleep(50);
        }
    }

    String brokerUri() throws InterruptedException {
        return await("MQTT +(tcp://127\\.0\\.0\\.1:\\d+) \\(embedded broker\\)");
    }

    String pageUri() throws InterruptedException {
        return await("web page +(http://127\\.0\\.0\\.1:\\d+/)");
    }

    /** Types a command into the demo. */
    void command(String line) throws IOException {
        OutputStream in = process.getOutputStream();
        in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        in.flush();
    }

    /** {@code psr:status -1 part} on controller {@code node}: role, view, commit; null when it does not answer. */
    PlantView.ReplicaLine status(int node, String part) {
        try {
            return StatusPoller.parse(LocalCommand.run(dir.resolve("node" + node), "psr:status -1 " + part).output()).get(part);
        } catch (IOException e) {
            return null;
        }
    }

    /** The controllers' processes (the demo's children). */
    List<ProcessHandle> controllers() {
        return process.toHandle().children().filter(h -> h.info().commandLine().orElse("").contains("psr-runtime")
                || h.info().command().orElse("").endsWith("java")).toList();
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            command("quit");
            if (!process.waitFor(60, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
