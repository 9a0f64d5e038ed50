package psr.demo;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import psr.runtime.LocalCommand;

/**
 * One controller of the demo: a PSR runtime as a child process ({@code java -jar psr-runtime.jar --data nodeN
 * --no-shell}), its console appended to {@code nodeN/console.log}. It is started with {@code --stop-with} and this
 * process's pid, so it stops by itself when the demo ends, however the demo ends. Commands reach it over its command
 * socket, as {@code --exec} would send them.
 */
final class Controller {
    final int node;
    private final Path data;
    private final Path consoleLog;
    private final Path runtimeJar;
    private Process process;
    private volatile boolean killed;

    Controller(int node, Path data, Path consoleLog, Path runtimeJar) {
        this.node = node;
        this.data = data;
        this.consoleLog = consoleLog;
        this.runtimeJar = runtimeJar;
    }

    synchronized void start() throws IOException {
        if (alive()) return;
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // A small fixed heap (the demo's state is a few kilobytes) and one GC thread: three controllers share
                // the machine with the demo; an out-of-memory controller dies and can be restarted from its disk.
                "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC", "-XX:+ExitOnOutOfMemoryError",
                "-jar", runtimeJar.toString(), "--data", data.toString(), "--no-shell",
                "--stop-with", String.valueOf(ProcessHandle.current().pid()));
        process = new ProcessBuilder(command).directory(data.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(consoleLog.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        killed = false;
    }

    synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** True after {@link #kill} until the next start. */
    boolean killed() {
        return killed;
    }

    /** kill -9: the controller dies at once, as on a power loss (its disk keeps what it had synced). */
    synchronized void kill() throws InterruptedException {
        if (!alive()) return;
        killed = true;
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM: a clean stop (parts close their storage); kill -9 if it takes longer than 20 s. */
    void stop() throws InterruptedException {
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p == null || !p.isAlive()) return;
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /**
     * One shell command in this controller, answered within {@code timeoutMs} (else UNKNOWN: a frozen controller must
     * not freeze the demo); IOException when it does not answer at all (not running, or still starting).
     */
    LocalCommand.Answer exec(String command, long timeoutMs) throws IOException {
        return LocalCommand.run(data, command, timeoutMs);
    }
}
