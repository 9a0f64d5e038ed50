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
        String text = new String(bytes, StandardCharsets.UTF_8);
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
