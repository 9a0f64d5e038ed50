package psr.osal.linux;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.osgi.service.log.Logger;

import psr.api.osal.DurableStorage;

/**
 * {@link DurableStorage} over one directory of a Linux (or other POSIX) file system. Plain Java; the
 * OSGi side (configuration, registration) is {@link StorageComponent}.
 *
 * <p>How the durability promises of {@link DurableStorage} are kept:
 * <ul>
 * <li>{@code append} writes through a channel kept open per file; {@code sync} is {@link FileChannel#force}
 * on it. The first {@code sync} of a file this instance created also syncs the directory, so the file's
 * name survives a crash together with its bytes.</li>
 * <li>{@code replace} writes a temporary file whose name no caller can use, forces it, renames it over the
 * target with {@link StandardCopyOption#ATOMIC_MOVE} and syncs the directory.</li>
 * <li>{@code truncate} forces the file after cutting it; {@code delete} syncs the directory after removing
 * the entry.</li>
 * </ul>
 * Directory sync opens the directory read-only and forces it, which Linux supports; platforms that refuse
 * to open or force a directory (Windows) are tolerated, as they keep directory entries durable themselves
 * or offer nothing better.
 *
 * <p>A lock file in the directory keeps two instances (in this or another process) from sharing it.
 *
 * <p>All methods are {@code synchronized}: storage calls of one instance are serialized, which is what a
 * log writer needs and keeps the open-channel table simple.
 */
final class DirectoryStorage implements DurableStorage {

    /** Prefix of names this class uses for itself; '~' is not allowed in caller names, so they cannot clash. */
    static final String INTERNAL_PREFIX = "~";
    static final String LOCK_NAME = INTERNAL_PREFIX + "lock";
    private static final String TEMP_SUFFIX = ".tmp";

    private final Logger logger;
    private final Path directory;
    private final String name;
    private final FileChannel lockChannel;
    private final FileLock lock;
    /** Channels opened by {@link #append}, kept until the file is replaced, truncated, deleted or we stop. */
    private final Map<String, FileChannel> appendChannels = new HashMap<>();
    /** Files this instance created whose directory entry is not yet known to be durable. */
    private final Set<String> createdNotSynced = new HashSet<>();
    /**
     * Files whose fsync failed: Linux reports a writeback error once and may mark the lost pages clean, so a retried
     * fsync succeeds without the data being on disk. Every later append or sync of such a file fails until it is
     * replaced or deleted.
     */
    private final java.util.Map<String, String> syncFailed = new java.util.HashMap<>();
    private boolean directorySyncUnsupportedLogged;
    private boolean closed;

    /**
     * Opens the storage in {@code directory}, which must exist.
     *
     * @throws IOException when the directory cannot be used, including when another storage holds it
     */
    DirectoryStorage(String name, Path directory, Logger logger) throws IOException {
        this.name = Objects.requireNonNull(name, "name");
        this.directory = Objects.requireNonNull(directory, "directory");
        this.logger = Objects.requireNonNull(logger, "logger");
        FileChannel channel = FileChannel.open(directory.resolve(LOCK_NAME), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        try {
            FileLock acquired;
            try {
                acquired = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                acquired = null;
            }
            if (acquired == null) {
                throw new IOException("it is already used by another storage (" + holder(directory.resolve(LOCK_NAME))
                        + "lock file " + LOCK_NAME + " is held); give each storage its own directory");
            }
            // Who holds it, for the message above when another one tries (the lock itself is the truth).
            channel.truncate(0);
            channel.write(java.nio.ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            this.lockChannel = channel;
            this.lock = acquired;
            removeStaleTemporaries();
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
        logger.info("storage '{}' ready in {}", name, directory);
    }

    /** "pid 1234 of this machine holds it; " as the lock file says, or "" when it says nothing readable. */
    static String holder(Path lockFile) {
        try {
            String text = java.nio.file.Files.readString(lockFile).trim();
            return text.matches("pid \\d+") ? text + " holds it; " : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    /** Closes every file and releases the directory. Later calls fail with an {@link IOException}. */
    synchronized void close() {
        closed = true;
        for (FileChannel channel : appendChannels.values()) {
            closeQuietly(channel);
        }
        appendChannels.clear();
        try {
            lock.release();
        } catch (IOException e) {
            logger.warn("storage '{}': releasing the lock in {} failed: {}", name, directory, e.toString());
        }
        closeQuietly(lockChannel);
        logger.info("storage '{}' in {} closed", name, directory);
    }

    /** The directory this storage keeps its files in. */
    Path directory() {
        return directory;
    }

    @Override
    public synchronized void append(String name, byte[] data, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, data.length);
        checkNotFailed(DurableStorage.checkName(name));
        writeInSlices(appendChannel(name), data, offset, length);
    }

    /** The most bytes one channel write takes from a heap array (see {@link #writeInSlices}). */
    static final int WRITE_SLICE_BYTES = 1 << 20;

    /**
     * Writes {@code length} bytes in slices of at most {@link #WRITE_SLICE_BYTES}: a channel write of a heap buffer goes
     * through a temporary direct buffer as large as the write, which the JDK keeps cached for the thread, so one write
     * of a 256 MiB checkpoint would pin 256 MiB of native memory for as long as the thread lives.
     */
    private static void writeInSlices(FileChannel channel, byte[] data, int offset, int length) throws IOException {
        int end = offset + length;
        for (int at = offset; at < end; at += WRITE_SLICE_BYTES) {
            ByteBuffer slice = ByteBuffer.wrap(data, at, Math.min(WRITE_SLICE_BYTES, end - at));
            while (slice.hasRemaining()) {
                channel.write(slice);
            }
        }
    }

    @Override
    public synchronized void sync(String name) throws IOException {
        DurableStorage.checkName(name);
        checkOpen();
        checkNotFailed(name);
        try {
            FileChannel channel = appendChannels.get(name);
            if (channel != null) {
                channel.force(true);
            } else {
                try (FileChannel existing = FileChannel.open(file(name), StandardOpenOption.WRITE)) {
                    existing.force(true);
                }
            }
        } catch (IOException e) {
            syncFailed.put(name, String.valueOf(e.getMessage()));
            throw e;
        }
        if (createdNotSynced.remove(name)) {
            syncDirectory();
        }
    }

    @Override
    public synchronized void replace(String name, byte[] content) throws IOException {
        DurableStorage.checkName(name);
        checkOpen();
        closeAppendChannel(name);
        syncFailed.remove(name); // a new file: what it holds is written and synced below
        Path temporary = directory.resolve(INTERNAL_PREFIX + name + TEMP_SUFFIX);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeInSlices(channel, content, 0, content.length);
            channel.force(true);
        }
        Files.move(temporary, file(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        createdNotSynced.remove(name);
        syncDirectory();
    }

    @Override
    public synchronized void truncate(String name, long length) throws IOException {
        DurableStorage.checkName(name);
        checkOpen();
        if (length < 0) {
            throw new IllegalArgumentException("truncate of '" + name + "' to negative length " + length);
        }
        FileChannel channel = appendChannels.get(name);
        if (channel != null) {
            truncate(name, channel, length);
        } else {
            try (FileChannel existing = FileChannel.open(file(name), StandardOpenOption.WRITE)) {
                truncate(name, existing, length);
            }
        }
        if (createdNotSynced.remove(name)) {
            syncDirectory();
        }
    }

    private static void truncate(String name, FileChannel channel, long length) throws IOException {
        long size = channel.size();
        if (length > size) {
            throw new IllegalArgumentException("truncate of '" + name + "' to " + length
                    + " bytes would grow it: it holds " + size + " bytes");
        }
        channel.truncate(length);
        channel.force(true);
    }

    @Override
    public synchronized byte[] read(String name) throws IOException {
        DurableStorage.checkName(name);
        checkOpen();
        try {
            return Files.readAllBytes(file(name));
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    @Override
    public synchronized List<String> list() throws IOException {
        checkOpen();
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String fileName = entry.getFileName().toString();
                if (isCallerName(fileName) && Files.isRegularFile(entry)) {
                    names.add(fileName);
                }
            }
        }
        Collections.sort(names);
        return names;
    }

    @Override
    public synchronized void delete(String name) throws IOException {
        DurableStorage.checkName(name);
        checkOpen();
        closeAppendChannel(name);
        createdNotSynced.remove(name);
        syncFailed.remove(name);
        if (Files.deleteIfExists(file(name))) {
            syncDirectory();
        }
    }

    private void checkNotFailed(String name) throws IOException {
        String failed = syncFailed.get(name);
        if (failed != null) {
            throw new IOException("an earlier fsync of '" + name + "' in " + directory + " failed (" + failed
                    + "): what was written since the last successful one may be lost; replace the file to go on");
        }
    }

    @Override
    public String toString() {
        return "DirectoryStorage[" + name + " in " + directory + "]";
    }

    private FileChannel appendChannel(String name) throws IOException {
        checkOpen();
        FileChannel channel = appendChannels.get(name);
        if (channel == null) {
            Path file = file(name);
            boolean existed = Files.exists(file);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
            if (!existed) {
                createdNotSynced.add(name);
            }
            appendChannels.put(name, channel);
        }
        return channel;
    }

    private void closeAppendChannel(String name) throws IOException {
        FileChannel channel = appendChannels.remove(name);
        if (channel != null) {
            channel.close();
        }
    }

    private Path file(String name) {
        return directory.resolve(name);
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new IOException("storage '" + name + "' in " + directory + " is closed");
        }
    }

    /** Makes the directory's entries (creations, renames, removals) durable, where the platform allows it. */
    private void syncDirectory() throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(directory, StandardOpenOption.READ);
        } catch (IOException e) {
            directorySyncUnsupported(e);
            return;
        }
        try (channel) {
            channel.force(true);
        } catch (IOException e) {
            if (Files.isDirectory(directory)) {
                directorySyncUnsupported(e);
                return;
            }
            throw e;
        }
    }

    private void directorySyncUnsupported(IOException e) {
        if (!directorySyncUnsupportedLogged) {
            directorySyncUnsupportedLogged = true;
            logger.warn("storage '{}': this platform cannot sync directory {} ({}); relying on the file system "
                    + "to keep renames and removals", name, directory, e.toString());
        }
    }

    private void removeStaleTemporaries() throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory,
                INTERNAL_PREFIX + "*" + TEMP_SUFFIX)) {
            for (Path entry : entries) {
                // A replace that crashed before its rename; the target still holds its previous content.
                Files.deleteIfExists(entry);
                logger.info("storage '{}': removed {} left by an interrupted replace", name, entry.getFileName());
            }
        }
    }

    static boolean isCallerName(String fileName) {
        try {
            DurableStorage.checkName(fileName);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // Closing after a failure or at shutdown; the original problem is what matters.
            }
        }
    }
}
