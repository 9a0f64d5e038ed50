package psr.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeoutException;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.service.log.LogLevel;

/**
 * One shell command at a time for scripts and local tools, without scraping the console: a Unix domain socket
 * {@code DIR/run/psr.sock} (the directory mode 700, the socket 600, so only the runtime's user can connect; no network
 * port). A client ({@code java -jar psr-runtime.jar --data DIR --exec 'psr:get -1 boiler sp'}, see {@link ExecClient}
 * and {@link LocalCommand})
 * sends one command line; the runtime runs it in a fresh Gogo session and answers with what it printed and returned,
 * then one status line. Protocol (UTF-8):
 *
 * <pre>
 *   client: the command, one line, then it shuts its output down
 *   server: the command's output and result (any number of lines)
 *           "\0psr-exec status=ok"       the command completed
 *           "\0psr-exec status=failed"   it failed; the operation was certainly not done (message before the line)
 *           "\0psr-exec status=unknown"  it failed after a write was sent: it may or may not have committed
 * </pre>
 *
 * Gogo is reached by reflection: the launcher is not a bundle and does not import Gogo's packages.
 */
final class CommandSocket implements AutoCloseable {
    static final String STATUS_PREFIX = "\0psr-exec status=";
    private static final int MAX_COMMAND_BYTES = 64 * 1024;

    private final BundleContext context;
    private final LogSink log;
    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread acceptor;
    private volatile boolean closed;

    static Path socketPath(Path data) {
        return data.resolve("run").resolve("psr.sock");
    }

    CommandSocket(BundleContext context, Path data, LogSink log) throws IOException {
        this.context = context;
        this.log = log;
        this.socket = socketPath(data);
        Path dir = socket.getParent();
        Files.createDirectories(dir);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        Files.deleteIfExists(socket); // a runtime killed before it could remove it; we hold the data directory's lock
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        acceptor = new Thread(this::accept, "psr-exec-socket");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void accept() {
        while (!closed) {
            try {
                SocketChannel client = server.accept();
                Thread t = new Thread(() -> serve(client), "psr-exec");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) log.launcher(LogLevel.WARN, "command socket " + socket + ": " + e);
                return;
            }
        }
    }

    private void serve(SocketChannel client) {
        try (client; OutputStream out = Channels.newOutputStream(client)) {
            String command = readCommand(Channels.newInputStream(client));
            String status;
            ByteArrayOutputStream output = new ByteArrayOutputStream();
            try {
                Object result = execute(command, output);
                if (result != null) output.write((result + "\n").getBytes(StandardCharsets.UTF_8));
                status = "ok";
            } catch (Exception e) {
                Throwable cause = e instanceof InvocationTargetException ite && ite.getCause() != null ? ite.getCause() : e;
                output.write(("psr: " + cause.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
                status = outcomeUnknown(cause) ? "unknown" : "failed";
            }
            out.write(output.toByteArray());
            out.write((STATUS_PREFIX + status + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            log.launcher(LogLevel.DEBUG, "command socket: a client went away: " + e);
        }
    }

    /** True when the failure leaves the operation's outcome open (it may have committed). */
    static boolean outcomeUnknown(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException || c.getClass().getName().equals("psr.api.state.OutcomeUnknownException")) return true;
        }
        return false;
    }

    private static String readCommand(InputStream in) throws IOException {
        byte[] bytes = in.readNBytes(MAX_COMMAND_BYTES + 1);
        if (bytes.length > MAX_COMMAND_BYTES) throw new IOException("command longer than " + MAX_COMMAND_BYTES + " bytes");
        return new String(bytes, StandardCharsets.UTF_8).strip();
    }

    /** Runs {@code command} in a new Gogo session whose output goes to {@code output}; returns its result as text. */
    private Object execute(String command, OutputStream output) throws Exception {
        ServiceReference<?> ref = context.getServiceReference("org.apache.felix.service.command.CommandProcessor");
        if (ref == null) throw new IllegalStateException("the Gogo shell runtime is not running");
        Object processor = context.getService(ref);
        try {
            Class<?> processorType = ref.getBundle().loadClass("org.apache.felix.service.command.CommandProcessor");
            Class<?> sessionType = ref.getBundle().loadClass("org.apache.felix.service.command.CommandSession");
            Method create = processorType.getMethod("createSession", InputStream.class, OutputStream.class, OutputStream.class);
            Object session = create.invoke(processor, InputStream.nullInputStream(), output, output);
            try {
                Object result = sessionType.getMethod("execute", CharSequence.class).invoke(session, command);
                if (result == null) return null;
                return result instanceof CharSequence ? result
                        : sessionType.getMethod("format", Object.class, int.class).invoke(session, result, 0);
            } finally {
                sessionType.getMethod("close").invoke(session);
            }
        } finally {
            context.ungetService(ref);
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        try {
            Files.deleteIfExists(socket);
        } catch (IOException e) {
            log.launcher(LogLevel.WARN, "command socket " + socket + " not removed: " + e);
        }
    }
}
