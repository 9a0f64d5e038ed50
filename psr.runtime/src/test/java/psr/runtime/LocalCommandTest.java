package psr.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command client against a stand-in runtime socket: answers are split from their status, and a frozen runtime does not freeze the caller. */
class LocalCommandTest {
    @TempDir
    Path data;

    ServerSocketChannel listen() throws Exception {
        Path socket = CommandSocket.socketPath(data);
        Files.createDirectories(socket.getParent());
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        return server;
    }

    @Test
    void aFrozenRuntimeIsReportedUnknownAtTheDeadline() throws Exception {
        try (ServerSocketChannel server = listen()) { // accepts (the kernel's backlog) and never answers, as a SIGSTOPped runtime
            long start = System.nanoTime();
            LocalCommand.Answer a = LocalCommand.run(data, "psr:status -1", 300);
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(LocalCommand.Outcome.UNKNOWN, a.outcome());
            assertTrue(a.output().contains("no answer from the runtime in " + data + " within 300 ms; the command may still complete there"), a.output());
            assertTrue(tookMs >= 300 && tookMs < 5000, "returned after " + tookMs + " ms");
        }
    }

    @Test
    void anAnswerWithinTheDeadlineIsSplitFromItsStatus() throws Exception {
        try (ServerSocketChannel server = listen()) {
            Thread runtime = new Thread(() -> {
                try (SocketChannel client = server.accept()) {
                    ByteBuffer in = ByteBuffer.allocate(1024);
                    while (client.read(in) >= 0) { /* the command, until the client shuts its output */ }
                    String command = new String(in.array(), 0, in.position(), StandardCharsets.UTF_8).strip();
                    client.write(ByteBuffer.wrap(("ran " + command + "\n" + CommandSocket.STATUS_PREFIX + "failed\n").getBytes(StandardCharsets.UTF_8)));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            runtime.start();
            LocalCommand.Answer a = LocalCommand.run(data, "psr:put tank sp double 1", 5000);
            runtime.join(5000);
            assertEquals(LocalCommand.Outcome.FAILED, a.outcome());
            assertEquals("ran psr:put tank sp double 1\n", a.output());
        }
    }
}
