package psr.runtime;

import java.io.IOException;
import java.io.PrintStream;
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
        LocalCommand.Answer answer;
        try {
            answer = LocalCommand.run(data, command);
        } catch (IOException e) {
            err.println("psr: no PSR runtime answers on " + CommandSocket.socketPath(data) + " (" + e.getMessage()
                    + "); is one running with --data " + data + ", as this user?");
            return EXIT_NO_RUNTIME;
        }
        PrintStream to = answer.outcome() == LocalCommand.Outcome.OK ? out : err;
        to.print(answer.output());
        to.flush();
        return switch (answer.outcome()) {
            case OK -> EXIT_OK;
            case FAILED -> EXIT_FAILED;
            case UNKNOWN -> EXIT_UNKNOWN;
        };
    }
}
