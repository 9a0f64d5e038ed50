package psr.osal.vxworks;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import psr.api.osal.DurableStorageProvider.OpenStorage;

/**
 * VxWorks storage on the emulated HRFS ({@code /ata0:1}) and dosFs ({@code /sd0:1}) volumes: the
 * DurableStorage contract, what survives a power loss, and every kernel error path.
 */
class VxStorageTest {

    static final String HRFS = "/ata0:1/psr/parts/a";
    static final String DOSFS = "/sd0:1/psr/parts/a";

    @TempDir
    Path temp;

    private EmulatedVxKernel kernel;
    private VxStorageProvider provider;

    @BeforeEach
    void start() throws IOException {
        kernel = EmulatedVxKernel.withDefaults(1000, 0, temp);
        provider = new VxStorageProvider(kernel);
    }

    @ParameterizedTest
    @ValueSource(strings = {HRFS, DOSFS})
    void theContractHoldsOnBothVolumeTypes(String path) throws IOException {
        try (OpenStorage storage = provider.open(path)) {
            assertEquals(path, storage.path());
            storage.append("log.0", "xxhello".getBytes(UTF_8), 2, 5);
            storage.append("log.0", " world".getBytes(UTF_8), 0, 6);
            storage.sync("log.0");
            storage.replace("view", "old-and-long".getBytes(UTF_8));
            storage.replace("view", "new".getBytes(UTF_8));
            assertEquals("hello world", new String(storage.read("log.0"), UTF_8));
            assertEquals("new", new String(storage.read("view"), UTF_8));
            assertEquals(List.of("log.0", "view"), storage.list());
            storage.truncate("log.0", 5);
            assertEquals("hello", new String(storage.read("log.0"), UTF_8));
            storage.delete("view");
            storage.delete("view");
            assertNull(storage.read("view"));
            assertEquals(List.of("log.0"), storage.list());
            assertThrows(IllegalArgumentException.class, () -> storage.truncate("log.0", 6));
            assertThrows(IllegalArgumentException.class, () -> storage.append("~x", new byte[1], 0, 1));
        }
        assertEquals(0, kernel.openFileCount());
    }

    @ParameterizedTest
    @ValueSource(strings = {HRFS, DOSFS})
    void whatWasSyncedOrReplacedSurvivesAPowerLossAndWhatWasNotIsGone(String path) throws IOException {
        OpenStorage storage = provider.open(path);
        storage.append("log", "durable".getBytes(UTF_8), 0, 7);
        storage.sync("log");
        storage.replace("view", new byte[] {1});
        storage.append("log", "-lost".getBytes(UTF_8), 0, 5);
        storage.append("other", "never synced".getBytes(UTF_8), 0, 12);
        kernel.powerLoss();
        storage.close();
        try (OpenStorage after = provider.open(path)) {
            assertEquals("durable", new String(after.read("log"), UTF_8));
            assertArrayEquals(new byte[] {1}, after.read("view"));
            byte[] other = after.read("other");
            assertTrue(other == null || other.length == 0, "unsynced file is absent (HRFS) or empty (dosFs)");
        }
    }

    @Test
    void onHrfsNothingIsDurableBeforeTheCommitAndEverythingAfter() throws IOException {
        OpenStorage storage = provider.open(HRFS);
        storage.append("log", "abc".getBytes(UTF_8), 0, 3);
        kernel.powerLoss();
        storage.close();
        try (OpenStorage after = provider.open(HRFS)) {
            assertNull(after.read("log"));
        }
    }

    @Test
    void onDosFsAReplaceInterruptedAfterItsNewFileWasCompleteIsFinishedAtOpen() throws Exception {
        OpenStorage storage = provider.open(DOSFS);
        storage.replace("view", "old".getBytes(UTF_8));
        // Crash right after "remove view": ~view.new is complete and durable, view is gone. Made by hand here.
        String dir = DOSFS;
        int fd = kernel.open(dir + "/~view.new", VxKernel.O_WRONLY | VxKernel.O_CREAT, 0644);
        kernel.write(fd, "new".getBytes(UTF_8), 0, 3);
        kernel.ioctl(fd, VxKernel.IOCTL_FIOFLUSH, 0);
        kernel.close(fd);
        kernel.remove(dir + "/view");
        int dfd = kernel.open(dir, VxKernel.O_RDONLY, 0);
        kernel.ioctl(dfd, VxKernel.IOCTL_FIOFLUSH, 0);
        kernel.close(dfd);
        kernel.powerLoss();
        storage.close();
        try (OpenStorage after = provider.open(DOSFS)) {
            assertEquals("new", new String(after.read("view"), UTF_8));
            assertEquals(List.of("view"), after.list());
            assertTrue(List.of(kernel.readdir(DOSFS)).equals(List.of("view")), "no ~view.new left");
        }
    }

    @Test
    void badPathsAndASecondOpenAreRefusedWithTheReason() throws IOException {
        assertMessage("cannot open storage psr/a: the path is relative", () -> provider.open("psr/a"));
        assertMessage("cannot open storage /nfs0/psr: its volume is not usable: volumeType: errno 19",
                () -> provider.open("/nfs0/psr"));
        assertMessage("cannot open storage /ata0:1: that is a whole volume", () -> provider.open("/ata0:1"));
        assertMessage("'.' and '..' are not allowed", () -> provider.open("/ata0:1/psr/../x"));
        OpenStorage first = provider.open(HRFS);
        assertMessage("cannot open storage " + HRFS + "/: it is already used by another storage",
                () -> provider.open(HRFS + "/"));
        first.close();
        provider.open("//ata0:1//psr/parts/a/").close();
        provider.close();
        assertMessage("deactivated", () -> provider.open(HRFS));
    }

    /** Each storage operation, as a name and the code that runs it on a storage that already holds some files. */
    interface Operation {
        void run(OpenStorage storage) throws IOException;
    }

    static Stream<Arguments> errorPaths() {
        String[] routines = {"open", "write", "read", "ioctl", "ftruncate", "close", "rename", "remove", "readdir",
            "mkdir", "volumeType"};
        List<Arguments> cases = new ArrayList<>();
        for (String path : new String[] {HRFS, DOSFS}) {
            for (String routine : routines) {
                cases.add(Arguments.of(path, routine));
            }
        }
        return cases.stream();
    }

    /**
     * For every kernel routine the storage uses, on both volume types: the routine fails once (with an errno the
     * test picks) during each operation in turn. Whichever operation meets the failure must throw an IOException
     * naming the storage, the routine and the errno; afterwards the storage must still work and hold exactly
     * what the successful operations left, and no file descriptor may stay open after close.
     */
    @ParameterizedTest(name = "{1} fails on {0}")
    @MethodSource("errorPaths")
    void everyKernelFailureIsReportedAndLeavesTheStorageConsistent(String path, String routine) throws IOException {
        List<String> operations = List.of("open", "append", "sync", "replace", "truncate", "read", "list", "delete");
        int failures = 0;
        for (String operation : operations) {
            kernel.clearFaults();
            OpenStorage storage;
            if (operation.equals("open")) {
                kernel.failNext(routine, VxKernel.EIO);
                try {
                    storage = provider.open(path);
                } catch (IOException e) {
                    assertTrue(e.getMessage().startsWith("cannot open storage " + path + ": "), e.getMessage());
                    assertTrue(e.getMessage().contains(routine) && e.getMessage().contains("errno 5"), e.getMessage());
                    failures++;
                    kernel.clearFaults();
                    storage = provider.open(path);
                }
                kernel.clearFaults();
            } else {
                storage = provider.open(path);
            }
            try {
                // Known state before the operation under test.
                storage.replace("a", "state".getBytes(UTF_8));
                storage.delete("b");
                storage.append("b", "0123456789".getBytes(UTF_8), 0, 10);
                storage.sync("b");
                String expectedA = "state";
                String expectedB = "0123456789";
                boolean bMayHoldMore = false;
                if (!operation.equals("open")) {
                    kernel.failNext(routine, VxKernel.EIO);
                }
                try {
                    switch (operation) {
                        case "open" -> { }
                        case "append" -> {
                            storage.append("b", "X".getBytes(UTF_8), 0, 1);
                            expectedB = "0123456789X";
                        }
                        case "sync" -> storage.sync("b");
                        case "replace" -> {
                            storage.replace("a", "fresh".getBytes(UTF_8));
                            expectedA = "fresh";
                        }
                        case "truncate" -> {
                            storage.truncate("b", 4);
                            expectedB = "0123";
                        }
                        case "read" -> assertEquals("state", new String(storage.read("a"), UTF_8));
                        case "list" -> assertEquals(List.of("a", "b"), storage.list());
                        case "delete" -> {
                            storage.delete("a");
                            expectedA = null;
                        }
                        default -> throw new AssertionError(operation);
                    }
                } catch (IOException e) {
                    failures++;
                    assertTrue(e.getMessage().startsWith("storage " + path + ": "), e.getMessage());
                    assertTrue(e.getMessage().contains(routine) && e.getMessage().contains("errno 5"),
                            operation + ": " + e.getMessage());
                    // A failed operation either happened or did not; a failed append may have written its byte.
                    if (operation.equals("append")) {
                        bMayHoldMore = true;
                    }
                    if (operation.equals("replace") || operation.equals("delete") || operation.equals("truncate")) {
                        String a = read(storage, "a");
                        String b = read(storage, "b");
                        if (operation.equals("truncate")) {
                            assertTrue("0123".equals(b) || "0123456789".equals(b), "truncate all or nothing: " + b);
                            expectedB = b;
                        } else {
                            assertTrue(a == null || "state".equals(a) || "fresh".equals(a), operation + ": " + a);
                            expectedA = a;
                        }
                    } else if (!operation.equals("append")) {
                        expectedA = "state";
                        expectedB = "0123456789";
                    }
                }
                kernel.clearFaults();
                // The storage still works and holds what it should.
                assertEquals(expectedA, read(storage, "a"), operation);
                String b = read(storage, "b");
                if (bMayHoldMore) {
                    assertTrue(b.equals("0123456789") || b.equals("0123456789X"), b);
                } else {
                    assertEquals(expectedB, b, operation);
                }
                storage.append("c", "ok".getBytes(UTF_8), 0, 2);
                storage.sync("c");
                assertEquals("ok", read(storage, "c"));
                storage.delete("c");
            } finally {
                kernel.clearFaults();
                storage.close();
            }
            assertEquals(0, kernel.openFileCount(), routine + " during " + operation + " leaked a descriptor");
        }
        assertTrue(failures > 0, "a failure of " + routine + " was never met: the test does not reach it");
    }

    private static String read(OpenStorage storage, String name) throws IOException {
        byte[] content = storage.read(name);
        return content == null ? null : new String(content, UTF_8);
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IOException e = assertThrows(IOException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void theEmulationMapsDevicePathsOntoItsDirectory() throws IOException {
        try (OpenStorage storage = provider.open(HRFS)) {
            storage.replace("view", new byte[] {5});
        }
        assertArrayEquals(new byte[] {5}, Files.readAllBytes(kernel.hostDirectory("/ata0:1").resolve("psr/parts/a/view")));
    }
}
