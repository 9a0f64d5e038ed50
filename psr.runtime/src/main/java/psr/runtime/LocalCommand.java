package psr.runtime;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The client side of a runtime's command socket ({@link CommandSocket}, where the protocol is described), for local
 * tools written in Java: {@code --exec} and the demo plant use it. One call is one shell command in a fresh session of
 * the runtime on that data directory. It blocks the calling thread until the runtime has answered (a write waits for
 * its outcome, at most the part's {@code request.timeout.ms}); nothing is retried.
 */
public final class LocalCommand {
    /** How a command ended, as the runtime said it. */
    public enum Outcome {
        /** The command completed. */
        OK,
        /** It failed; a write it asked for was certainly not done. */
        FAILED,
        /** A write was sent and its outcome is unknown: it may or may not have committed. */
        UNKNOWN
    }

    /** The runtime's answer: what the command printed and returned (error messages included), and its outcome. */
    public record Answer(Outcome outcome, String output) {}

    private LocalCommand() {}

    /**
     * Runs {@code command} (one line, as typed at the shell) in the runtime on {@code data}.
     *
     * @throws IOException when no runtime answers there (none running, another user's, or the socket is gone)
     */
    public static Answer run(Path data, String command) throws IOException {
        byte[] bytes;
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(CommandSocket.socketPath(data)))) {
            channel.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.shutdownOutput();
            bytes = Channels.newInputStream(channel).readAllBytes();
        }
        return answer(new String(bytes, StandardCharsets.UTF_8));
    }

    /**
     * As {@link #run(Path, String)}, but waits at most {@code timeoutMs} for the whole answer: a runtime that is frozen
     * (stopped with SIGSTOP, swapping, stuck) then does not freeze the caller. A command not answered in time is
     * reported {@link Outcome#UNKNOWN}: it may still complete in the runtime.
     *
     * @throws IOException when no runtime answers there (none running, another user's, or the socket is gone)
     */
    public static Answer run(Path data, String command, long timeoutMs) throws IOException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
        try (SocketChannel channel = SocketChannel.open(UnixDomainSocketAddress.of(CommandSocket.socketPath(data)));
                java.nio.channels.Selector selector = java.nio.channels.Selector.open()) {
            channel.configureBlocking(false);
            ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
            ByteBuffer in = ByteBuffer.allocate(8192);
            java.nio.channels.SelectionKey key = channel.register(selector, java.nio.channels.SelectionKey.OP_WRITE);
            while (true) {
                long leftMs = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (leftMs <= 0) {
                    return new Answer(Outcome.UNKNOWN, received.toString(StandardCharsets.UTF_8) + "psr: no answer from the runtime in "
                            + data + " within " + timeoutMs + " ms; the command may still complete there\n");
                }
                selector.select(leftMs);
                if (key.isWritable() && out.hasRemaining()) {
                    channel.write(out);
                    if (!out.hasRemaining()) {
                        channel.shutdownOutput();
                        key.interestOps(java.nio.channels.SelectionKey.OP_READ);
                    }
                } else if (key.isReadable()) {
                    in.clear();
                    int n = channel.read(in);
                    if (n < 0) break;
                    received.write(in.array(), 0, n);
                }
                selector.selectedKeys().clear();
            }
        }
        return answer(received.toString(StandardCharsets.UTF_8));
    }

    private static Answer answer(String text) {
        int marker = text.lastIndexOf(CommandSocket.STATUS_PREFIX);
        if (marker < 0) {
            // The runtime went away mid-command (killed, stopped): whatever it was doing may have happened.
            return new Answer(Outcome.UNKNOWN, text + "psr: the runtime closed the connection without a status; the outcome is unknown\n");
        }
        String status = text.substring(marker + CommandSocket.STATUS_PREFIX.length()).strip();
        Outcome outcome = switch (status) {
            case "ok" -> Outcome.OK;
            case "failed" -> Outcome.FAILED;
            default -> Outcome.UNKNOWN;
        };
        return new Answer(outcome, text.substring(0, marker));
    }
}
