package psr.osal.linux;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import psr.api.osal.DurableStorageProvider.OpenStorage;

class DirectoryStorageProviderTest {

    @TempDir
    Path temp;

    private final TestLogger log = new TestLogger();
    private final DirectoryStorageProvider provider = new DirectoryStorageProvider(log.logger());

    @AfterEach
    void deactivate() {
        provider.deactivate();
    }

    @Test
    void openCreatesTheDirectoryAndTheStorageKeepsData() throws IOException {
        Path dir = temp.resolve("parts/a");
        try (OpenStorage storage = provider.open(dir.toString())) {
            assertEquals(dir.toString(), storage.path());
            storage.append("log.0", "abc".getBytes(UTF_8), 0, 3);
            storage.sync("log.0");
            storage.replace("view", new byte[] {7});
            assertEquals(List.of("log.0", "view"), storage.list());
        }
        assertTrue(Files.isDirectory(dir));
        try (OpenStorage again = provider.open(dir.toString())) {
            assertArrayEquals("abc".getBytes(UTF_8), again.read("log.0"));
            assertArrayEquals(new byte[] {7}, again.read("view"));
            again.truncate("log.0", 1);
            again.delete("view");
            assertEquals(List.of("log.0"), again.list());
            assertArrayEquals("a".getBytes(UTF_8), again.read("log.0"));
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryIsRefusedUntilTheFirstCloses() throws IOException {
        String dir = temp.resolve("locked").toString();
        OpenStorage first = provider.open(dir);
        IOException e = assertThrows(IOException.class, () -> provider.open(dir));
        assertTrue(e.getMessage().startsWith("cannot open storage " + dir + ": "), e.getMessage());
        assertTrue(e.getMessage().contains("already used by another storage"), e.getMessage());
        first.close();
        first.close(); // Idempotent.
        provider.open(dir).close();
    }

    @Test
    void aRelativeOrEmptyPathIsRefusedWithTheReason() {
        IOException e = assertThrows(IOException.class, () -> provider.open("relative/dir"));
        assertEquals("cannot open storage relative/dir: the path is relative; expected an absolute directory "
                + "path such as /var/lib/psr/parts/a", e.getMessage());
        e = assertThrows(IOException.class, () -> provider.open(""));
        assertTrue(e.getMessage().contains("the path is empty"), e.getMessage());
        e = assertThrows(IOException.class, () -> provider.open(null));
        assertTrue(e.getMessage().contains("the path is empty"), e.getMessage());
        e = assertThrows(IOException.class, () -> provider.open("/bad\0path"));
        assertTrue(e.getMessage().contains("not a valid path"), e.getMessage());
    }

    @Test
    void aPathBelowAFileCannotBeCreated() throws IOException {
        Path file = Files.writeString(temp.resolve("plain-file"), "x");
        IOException e = assertThrows(IOException.class, () -> provider.open(file.resolve("sub").toString()));
        assertTrue(e.getMessage().contains("the directory cannot be created"), e.getMessage());
    }

    @Test
    void aClosedStorageRefusesCalls() throws IOException {
        OpenStorage storage = provider.open(temp.resolve("c").toString());
        storage.close();
        IOException e = assertThrows(IOException.class, () -> storage.read("x"));
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
    }

    @Test
    void deactivationClosesWhatIsStillOpenAndReleasesTheLocks() throws IOException {
        String dir = temp.resolve("left-open").toString();
        OpenStorage storage = provider.open(dir);
        assertEquals(1, provider.openCount());
        provider.deactivate();
        assertEquals(0, provider.openCount());
        assertThrows(IOException.class, () -> storage.read("x"));
        IOException e = assertThrows(IOException.class, () -> provider.open(dir));
        assertTrue(e.getMessage().contains("deactivated"), e.getMessage());
        DirectoryStorageProvider next = new DirectoryStorageProvider(log.logger());
        try (OpenStorage reopened = next.open(dir)) {
            assertEquals(List.of(), reopened.list());
        } finally {
            next.deactivate();
        }
    }
}
