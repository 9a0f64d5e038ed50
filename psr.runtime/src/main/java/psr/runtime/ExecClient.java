package psr.runtime;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * {@code --exec COMMAND}: runs one shell command in the runtime whose data directory is given, over its command
 * socket ({@link CommandSocket}), prints the answer and exits with a status that tells the outcome apart.
 */
final class ExecClient {
    static final int EXIT_OK = 0;
    /** The command failed; a write it asked for was certainly not done. */
    static final int EXIT_FAILED = 1;
    /** A write was sent and its outcome is unknown: it may or may not have committed. */
    static final int EXIT_UNKNOWN = 4;
    /** No runtime answers on that data directory. */
    static final int EXIT_NO_RUNTIME = 5;

    private ExecClient() {}

    static int run(Path data, String command, PrintStream out, PrintStream err) {
        byte[] answer;
        try {
            answer = CommandSocket.call(data, command);
        } catch (IOException e) {
            err.println("psr: no PSR runtime answers on " + CommandSocket.socketPath(data) + " (" + e.getMessage()
                    + "); is one running with --data " + data + ", as this user?");
            return EXIT_NO_RUNTIME;
        }
        String text = new String(answer, StandardCharsets.UTF_8);
        int marker = text.lastIndexOf(CommandSocket.STATUS_PREFIX);
        if (marker < 0) {
            err.print(text);
            err.println("psr: the runtime closed the connection without a status; the outcome is unknown");
            return EXIT_UNKNOWN;
        }
        String body = text.substring(0, marker);
        String status = text.substring(marker + CommandSocket.STATUS_PREFIX.length()).strip();
        (status.equals("ok") ? out : err).print(body);
        (status.equals("ok") ? out : err).flush();
        return switch (status) {
            case "ok" -> EXIT_OK;
            case "failed" -> EXIT_FAILED;
            default -> EXIT_UNKNOWN;
        };
    }
}
