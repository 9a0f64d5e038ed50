package psr.osal.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability across kill -9: a child JVM ({@link CrashWriter}) appends and syncs records and says after each
 * sync how many are durable; the test kills it with {@link Process#destroyForcibly()} (SIGKILL on Linux) at a
 * different point each round, then reads the storage back. Every record acknowledged as synced, and the last
 * acknowledged replace, must be there; anything after them may or may not be. The next round's child starts on
 * the same directory, which also shows that the lock of a killed process is released by the kernel.
 *
 * <p>What this proves: nothing acknowledged is lost when the process dies at any point. It does not cut the
 * power: that is {@code FileChannel.force} and the directory fsync's job, which only a power-cut rig can show.
 */
class CrashTest {

    static final int ROUNDS = 6;

    @TempDir
    Path temp;

    @Test
    void nothingAcknowledgedAsSyncedIsLostWhenTheWriterIsKilled() throws Exception {
        Path directory = temp.resolve("crash");
        java.nio.file.Files.createDirectories(directory);
        long acknowledgedTotal = 0;
        long acknowledgedMeta = 0;
        List<String> figures = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            int syncEvery = 1 + round % 3;
            long killAfter = 200 + round * 137L; // Acknowledgements to wait for before the kill.
            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), CrashWriter.class.getName(), directory.toString(),
                    Integer.toString(syncEvery)).redirectErrorStream(true).start();
            long acknowledged = -1;
            long start = -1;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                int seen = 0;
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("start ")) {
                        start = Long.parseLong(line.substring(6));
                    } else if (line.startsWith("synced ")) {
                        acknowledged = Long.parseLong(line.substring(7));
                        if (++seen == killAfter) {
                            child.destroyForcibly();
                            break;
                        }
                    } else if (line.startsWith("replaced ")) {
                        acknowledgedMeta = Long.parseLong(line.substring(9));
                    } else {
                        throw new AssertionError("child said: " + line);
                    }
                }
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child ended");
            }
            assertTrue(start >= acknowledgedTotal, "round " + round + " started at " + start + " after "
                    + acknowledgedTotal + " acknowledged records: acknowledged records were lost");
            assertTrue(acknowledged > 0, "round " + round + ": the child acknowledged nothing");
            acknowledgedTotal = acknowledged;

            DirectoryStorage reader = new DirectoryStorage("check", directory, new TestLogger().logger());
            try {
                byte[] log = reader.read("log");
                assertNotNull(log);
                long valid = CrashWriter.validPrefix(log);
                assertTrue(valid >= acknowledged, "round " + round + ": " + valid + " valid records on disk, "
                        + acknowledged + " acknowledged as synced");
                if (acknowledgedMeta > 0) {
                    byte[] meta = reader.read("meta");
                    assertNotNull(meta, "meta replaced and acknowledged, then missing");
                    long metaValue = ByteBuffer.wrap(meta).getLong();
                    assertTrue(metaValue >= acknowledgedMeta, "meta " + metaValue + " older than acknowledged "
                            + acknowledgedMeta);
                    assertEquals(8, meta.length, "replace is all or nothing");
                }
                figures.add("round " + round + ": sync every " + syncEvery + ", killed after " + acknowledged
                        + " acknowledged, " + valid + " valid on disk (+" + (log.length - valid * CrashWriter.RECORD)
                        + " torn bytes)");
            } finally {
                reader.close();
            }
        }
        figures.forEach(f -> System.out.println("CrashTest " + f));
    }
}
