package psr.osal.linux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Suspicion (f), the Linux side: what {@link DirectoryStorage} does after an fsync error. On Linux a failed fsync
 * reports the write-back error once; the failed pages are then clean in the page cache although they may never
 * have reached the disk, and the next fsync of the file returns success ("fsyncgate", PostgreSQL 2018). The file
 * channels here are real, wrapped so that one {@code force} fails as that fsync would ({@link FaultyFileSystem}).
 */
class DirectoryStorageSyncFailureTest {

    @TempDir
    Path temp;

    /**
     * Three records are appended and synced; a fourth is appended and its sync fails (EIO). The caller (here as
     * ReplicaStore does, since its log is still dirty) syncs the file again. DirectoryStorage keeps no record of the
     * failure, calls force on the same channel again, and returns normally: by the DurableStorage contract the
     * fourth record is now durable, which on Linux it need not be. Safe behaviour: once a sync of a file failed,
     * later syncs of it fail too (until the file is replaced), so nobody is told that lost bytes are durable.
     */
    @Test
    void aSyncAfterAFailedSyncOfTheSameFileDoesNotReportSuccess() throws IOException {
        FaultyFileSystem faulty = new FaultyFileSystem();
        Path real = Files.createDirectories(temp.resolve("store"));
        DirectoryStorage storage = new DirectoryStorage("main", faulty.wrap(real), new TestLogger().logger());
        try {
            storage.append("log", new byte[] {1, 2, 3}, 0, 3);
            storage.sync("log");
            storage.append("log", new byte[] {4}, 0, 1);
            faulty.failingForces.set(1);
            assertThrows(IOException.class, () -> storage.sync("log"), "the device error is reported");
            IOException retry = null;
            try {
                storage.sync("log");
            } catch (IOException e) {
                retry = e;
            }
            assertArrayEquals(new byte[] {1, 2, 3, 4}, storage.read("log"), "the page cache still serves the unsynced byte");
            assertTrue(retry != null, "DirectoryStorage.sync returned normally on the retry after a failed fsync of 'log' ("
                    + faulty.forces.get() + " force calls): the byte appended before the failure is now reported durable");
        } finally {
            storage.close();
        }
    }
}
