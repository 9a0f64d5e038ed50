package psr.runtime;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

import org.osgi.framework.Bundle;
import org.osgi.service.log.LogEntry;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogListener;

/**
 * Writes OSGi log entries (from the Felix Log service) to the console and to a file, one line per entry.
 *
 * <p>Service events ({@code Events.Service}) below WARN are shown only at DEBUG and TRACE; bundle and
 * framework events, and everything bundles log, follow the threshold.
 *
 * <p>Each entry is one line: time, level, bundle, message and, for an entry with an exception, the root
 * cause's one-line summary (e.g. a component's own explanation of a bad configuration, not the reflection
 * wrapper around it). The file also gets the stack trace below that line. The file is rolled to {@code psr.log.1} when it passes
 * {@value #ROLL_BYTES} bytes, so a controller that runs for years keeps at most two files.
 */
final class LogSink implements LogListener, AutoCloseable {

    /** Felix Log names service event loggers {@code Events.Service.<symbolic name>}. */
    private static final String SERVICE_EVENTS = "Events.Service.";
    static final long ROLL_BYTES = 10L * 1024 * 1024;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS")
            .withZone(ZoneId.systemDefault());

    private final Path file;
    private final PrintStream console;
    private final LogLevel threshold;
    private BufferedWriter writer;
    private long written;

    LogSink(Path file, PrintStream console, LogLevel threshold) throws IOException {
        this.file = file;
        this.console = console;
        this.threshold = threshold;
        Files.createDirectories(file.getParent());
        open();
    }

    private void open() throws IOException {
        writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        written = Files.size(file);
    }

    @Override
    public void logged(LogEntry entry) {
        if (!threshold.implies(entry.getLogLevel())) {
            return;
        }
        // Every service registration is an INFO event: noise on a controller console unless debugging.
        if (entry.getLoggerName() != null && entry.getLoggerName().startsWith(SERVICE_EVENTS) && !threshold.implies(LogLevel.DEBUG)
                && !LogLevel.WARN.implies(entry.getLogLevel())) {
            return;
        }
        Bundle bundle = entry.getBundle();
        String source = bundle == null ? "?" : bundle.getSymbolicName() + "/" + bundle.getBundleId();
        String line = TIME.format(Instant.ofEpochMilli(entry.getTime())) + " "
                + String.format("%-5s", entry.getLogLevel()) + " [" + source + "] " + entry.getMessage();
        Throwable exception = entry.getException();
        if (exception != null) {
            // The root cause is what explains it (a component's own message, not the reflection wrapper).
            Throwable root = rootCause(exception);
            // Felix Log carries foreign exceptions in a LogException whose message is the original's toString.
            String summary = root.getClass().getName().equals("org.apache.felix.log.LogException")
                    ? root.getMessage() : root.toString();
            line = line + " (" + summary + ")";
        }
        String trace = exception == null ? null : stackTrace(exception);
        write(line, trace);
    }

    /** Lines the launcher itself logs (startup, shutdown), in the same format. */
    void launcher(LogLevel level, String message) {
        if (threshold.implies(level)) {
            write(TIME.format(Instant.now()) + " " + String.format("%-5s", level) + " [launcher] " + message, null);
        }
    }

    private synchronized void write(String line, String trace) {
        // The file first: whatever the console shows is already in the file.
        try {
            writeFile(line, trace);
        } finally {
            console.println(line);
        }
    }

    private void writeFile(String line, String trace) {
        if (writer == null) {
            return;
        }
        try {
            writer.write(line);
            writer.newLine();
            written += line.length() + 1;
            if (trace != null) {
                writer.write(trace);
                written += trace.length();
            }
            writer.flush();
            if (written > ROLL_BYTES) {
                writer.close();
                Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
                open();
            }
        } catch (IOException e) {
            console.println("psr: writing the log file " + file + " failed, logging to the console only: " + e);
            writer = null;
        }
    }

    private static Throwable rootCause(Throwable exception) {
        Throwable root = exception;
        for (int depth = 0; root.getCause() != null && root.getCause() != root && depth < 20; depth++) {
            root = root.getCause();
        }
        return root;
    }

    private static String stackTrace(Throwable exception) {
        StringWriter text = new StringWriter();
        exception.printStackTrace(new PrintWriter(text));
        return text.toString();
    }

    @Override
    public synchronized void close() {
        if (writer != null) {
            try {
                writer.close();
            } catch (IOException e) {
                console.println("psr: closing the log file " + file + " failed: " + e);
            }
            writer = null;
        }
    }
}
