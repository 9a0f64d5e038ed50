package psr.osal.linux;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.osgi.service.component.ComponentException;
import org.osgi.service.log.Logger;

import psr.api.osal.DurableStorage;

class DirectoryStorageTest {

    @TempDir
    Path temp;

    private final List<String> logged = new ArrayList<>();
    private final List<DirectoryStorage> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(DirectoryStorage::close);
    }

    @Test
    void writesLargerThanOneSliceArriveWhole() throws Exception {
        DirectoryStorage storage = open("main", temp.resolve("big"));
        byte[] big = new byte[3 * DirectoryStorage.WRITE_SLICE_BYTES + 12_345];
        new java.util.Random(5).nextBytes(big);
        storage.replace("checkpoint", big);
        org.junit.jupiter.api.Assertions.assertArrayEquals(big, storage.read("checkpoint"));
        storage.append("log", big, 7, big.length - 7);
        storage.sync("log");
        org.junit.jupiter.api.Assertions.assertArrayEquals(java.util.Arrays.copyOfRange(big, 7, big.length), storage.read("log"));
        storage.close();
    }

    @Test
    void appendedBytesReadBackInOrderAcrossCalls() throws IOException {
        DirectoryStorage storage = open("main", temp.resolve("store"));
        byte[] data = "xxhello".getBytes(UTF_8);
        storage.append("log.0", data, 2, 5);
        storage.append("log.0", " world".getBytes(UTF_8), 0, 6);
        storage.sync("log.0");
        assertEquals("hello world", new String(storage.read("log.0"), UTF_8));
        data[2] = 'j';
        assertEquals("hello world", new String(storage.read("log.0"), UTF_8), "caller may reuse its array");
    }

    @Test
    void dataSurvivesANewInstanceOnTheSameDirectory() throws IOException {
        Path dir = temp.resolve("store");
        DirectoryStorage first = open("main", dir);
        first.append("log.0", new byte[] {1, 2, 3}, 0, 3);
        first.sync("log.0");
        first.replace("view", new byte[] {9});
        close(first);

        DirectoryStorage second = open("main", dir);
        assertArrayEquals(new byte[] {1, 2, 3}, second.read("log.0"));
        assertArrayEquals(new byte[] {9}, second.read("view"));
        assertEquals(List.of("log.0", "view"), second.list());
    }

    @Test
    void replaceSwapsWholeContentAndLeavesNoTemporary() throws IOException {
        DirectoryStorage storage = open("main", temp.resolve("store"));
        storage.append("view", "old-and-long".getBytes(UTF_8), 0, 12);
        storage.replace("view", "new".getBytes(UTF_8));
        assertEquals("new", new String(storage.read("view"), UTF_8));
        // An append after a replace goes to the new file, not to the replaced one.
        storage.append("view", "!".getBytes(UTF_8), 0, 1);
        storage.sync("view");
        assertEquals("new!", new String(storage.read("view"), UTF_8));
        try (var files = Files.list(storage.directory())) {
            assertEquals(java.util.Set.of(DirectoryStorage.LOCK_NAME, "view"),
                    files.map(p -> p.getFileName().toString()).collect(java.util.stream.Collectors.toSet()));
        }
    }

    @Test
    void aTemporaryLeftByACrashIsRemovedAndNeverListed() throws IOException {
        Path dir = temp.resolve("store");
        Files.createDirectories(dir);
        Files.write(dir.resolve("view"), new byte[] {1});
        Files.write(dir.resolve("~view.tmp"), new byte[] {2, 2});
        DirectoryStorage storage = open("main", dir);
        assertEquals(List.of("view"), storage.list());
        assertFalse(Files.exists(dir.resolve("~view.tmp")));
        assertArrayEquals(new byte[] {1}, storage.read("view"), "the previous content stays");
    }

    @Test
    void truncateCutsAndLaterAppendsContinueAtTheCut() throws IOException {
        DirectoryStorage storage = open("main", temp.resolve("store"));
        storage.append("log.0", "abcdef".getBytes(UTF_8), 0, 6);
        storage.truncate("log.0", 2);
        storage.append("log.0", "Z".getBytes(UTF_8), 0, 1);
        storage.sync("log.0");
        assertEquals("abZ", new String(storage.read("log.0"), UTF_8));
        assertThrows(IllegalArgumentException.class, () -> storage.truncate("log.0", 10));
        assertThrows(IllegalArgumentException.class, () -> storage.truncate("log.0", -1));
    }

    @Test
    void deleteRemovesAndReadOfAbsentIsNull() throws IOException {
        DirectoryStorage storage = open("main", temp.resolve("store"));
        storage.append("a", new byte[] {1}, 0, 1);
        storage.sync("a");
        storage.delete("a");
        storage.delete("never-existed");
        assertNull(storage.read("a"));
        assertEquals(List.of(), storage.list());
    }

    @Test
    void listIsSortedAndIgnoresForeignEntries() throws IOException {
        Path dir = temp.resolve("store");
        DirectoryStorage storage = open("main", dir);
        storage.replace("b", new byte[0]);
        storage.replace("a.1", new byte[0]);
        storage.replace("A_2", new byte[0]);
        Files.createDirectory(dir.resolve("subdir"));
        Files.write(dir.resolve("has space"), new byte[0]);
        assertEquals(List.of("A_2", "a.1", "b"), storage.list());
    }

    @Test
    void syncOfAnAbsentFileFails() throws IOException {
        DirectoryStorage storage = open("main", temp.resolve("store"));
        assertThrows(IOException.class, () -> storage.sync("absent"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", "a/b", "../x", "~lock", "has space", "ü",
        "12345678901234567890123456789012345678901234567890123456789012345"})
    void badFileNamesAreRefusedByEveryMethod(String bad) throws IOException {
        DirectoryStorage storage = open("main", temp.resolve("store"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> storage.append(bad, new byte[1], 0, 1));
        assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> storage.sync(bad));
        assertThrows(IllegalArgumentException.class, () -> storage.replace(bad, new byte[0]));
        assertThrows(IllegalArgumentException.class, () -> storage.truncate(bad, 0));
        assertThrows(IllegalArgumentException.class, () -> storage.read(bad));
        assertThrows(IllegalArgumentException.class, () -> storage.delete(bad));
        assertThrows(IllegalArgumentException.class, () -> DurableStorage.checkName(bad));
        assertEquals(List.of(), storage.list());
    }

    @Test
    void longestAllowedNameWorks() throws IOException {
        DirectoryStorage storage = open("main", temp.resolve("store"));
        String longest = "a".repeat(64);
        assertEquals(longest, DurableStorage.checkName(longest));
        storage.replace(longest, new byte[] {7});
        assertArrayEquals(new byte[] {7}, storage.read(longest));
    }

    @Test
    void relativeDirectoryIsRefusedNamingPropertyValueAndRule() {
        ComponentException e = assertThrows(ComponentException.class, () -> open("main", Path.of("relative/dir")));
        assertEquals("configuration psr.osal.linux.storage: property directory = 'relative/dir' is not allowed: "
                + "it is relative; expected the absolute path of a writable directory (created if missing)",
                e.getMessage());
    }

    @Test
    void emptyOrMissingDirectoryIsRefused() {
        ComponentException empty = assertThrows(ComponentException.class, () -> open("main", ""));
        assertTrue(empty.getMessage().contains("property directory = '' is not allowed: it is empty"),
                empty.getMessage());
        ComponentException missing = assertThrows(ComponentException.class, () -> open("main", (String) null));
        assertTrue(missing.getMessage().contains("property directory = (missing)"), missing.getMessage());
    }

    @Test
    void directoryThatCannotBeCreatedIsRefused() throws IOException {
        Path file = Files.write(temp.resolve("plain-file"), new byte[0]);
        ComponentException e = assertThrows(ComponentException.class, () -> open("main", file.resolve("sub")));
        assertTrue(e.getMessage().contains("property directory = '" + file.resolve("sub") + "' is not allowed: "
                + "it cannot be created"), e.getMessage());
    }

    @Test
    void badStorageNameIsRefused() {
        ComponentException e = assertThrows(ComponentException.class, () -> open("no/slash", temp));
        assertEquals("configuration psr.osal.linux.storage: property psr.storage = 'no/slash' is not allowed: "
                + "expected 1 to 64 characters from A-Z a-z 0-9 . - _", e.getMessage());
    }

    @Test
    void twoStoragesCannotShareADirectory() throws IOException {
        Path dir = temp.resolve("store");
        open("one", dir);
        IOException e = assertThrows(IOException.class, () -> open("two", dir));
        assertTrue(e.getMessage().contains("already used by another storage (pid " + ProcessHandle.current().pid() + " holds it; lock file"),
                e.getMessage());
    }

    @Test
    void aClosedStorageRefusesCalls() throws IOException {
        DirectoryStorage storage = open("main", temp.resolve("store"));
        close(storage);
        assertThrows(IOException.class, () -> storage.read("a"));
        assertThrows(IOException.class, () -> storage.append("a", new byte[1], 0, 1));
    }

    @Test
    void readyAndClosedAreLogged() throws IOException {
        close(open("main", temp.resolve("store")));
        assertEquals(2, logged.size(), logged.toString());
        assertTrue(logged.get(0).startsWith("info: storage '{}' ready in {}"), logged.toString());
    }

    private DirectoryStorage open(String name, Path dir) throws IOException {
        return open(name, dir.toString());
    }

    /** What the component does with a configuration: check it, then open the storage. */
    private DirectoryStorage open(String name, String dir) throws IOException {
        DirectoryStorage storage = new DirectoryStorage(StorageComponent.checkStorageName(name),
                StorageComponent.checkDirectory(dir), logger());
        opened.add(storage);
        return storage;
    }

    private void close(DirectoryStorage storage) {
        opened.remove(storage);
        storage.close();
    }

    /** A Logger that records "level: format" for each call; enough for what the component logs. */
    private Logger logger() {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "trace", "debug", "info", "warn", "error", "audit" -> {
                            logged.add(method.getName() + ": " + args[0]);
                            return null;
                        }
                        case "getName" -> {
                            return "test";
                        }
                        case "toString" -> {
                            return "test logger";
                        }
                        default -> {
                            return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
                        }
                    }
                });
    }
}
