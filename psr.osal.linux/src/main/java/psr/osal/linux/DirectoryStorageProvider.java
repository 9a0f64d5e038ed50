package psr.osal.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

import psr.api.osal.DurableStorageProvider;

/**
 * {@link DurableStorageProvider} on Linux: {@link #open} creates the directory if needed and opens a
 * {@link DirectoryStorage} on it, whose lock file keeps any other storage (in this or another process) out
 * until {@link OpenStorage#close()}. Durability is {@link DirectoryStorage}'s: fsync of files, atomic
 * rename and directory fsync.
 *
 * <p>Storages still open when this component is deactivated are closed then, so their locks are released
 * for whichever provider replaces this one.
 */
@Component(name = "psr.osal.linux.storageprovider", service = DurableStorageProvider.class, immediate = true,
        property = {"psr.osal=linux", "service.description=PSR durable storage provider (Linux directories)"})
public final class DirectoryStorageProvider implements DurableStorageProvider {

    private final Logger logger;
    private final List<OpenDirectory> open = new ArrayList<>();
    private boolean deactivated;

    @Activate
    public DirectoryStorageProvider(@Reference(service = LoggerFactory.class) Logger logger) {
        this.logger = Objects.requireNonNull(logger, "logger");
    }

    @Override
    public OpenStorage open(String path) throws IOException {
        Path directory = checkPath(path);
        synchronized (open) {
            if (deactivated) {
                throw new IOException("cannot open storage " + path + ": the Linux storage provider is deactivated");
            }
            DirectoryStorage storage;
            try {
                storage = new DirectoryStorage(path, directory, logger);
            } catch (IOException e) {
                throw new IOException("cannot open storage " + path + ": " + e.getMessage(), e);
            }
            OpenDirectory opened = new OpenDirectory(path, storage);
            open.add(opened);
            return opened;
        }
    }

    /** The directory for {@code path}, created if missing; every failure is an IOException naming the path. */
    static Path checkPath(String path) throws IOException {
        if (path == null || path.isBlank()) {
            throw new IOException("cannot open storage '" + path + "': the path is empty; expected an absolute "
                    + "directory path such as /var/lib/psr/parts/a");
        }
        Path directory;
        try {
            directory = Path.of(path);
        } catch (InvalidPathException e) {
            throw new IOException("cannot open storage " + path + ": not a valid path (" + e.getReason() + ")", e);
        }
        if (!directory.isAbsolute()) {
            throw new IOException("cannot open storage " + path + ": the path is relative; expected an absolute "
                    + "directory path such as /var/lib/psr/parts/a");
        }
        directory = directory.normalize();
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new IOException("cannot open storage " + path + ": the directory cannot be created (" + e + ")", e);
        }
        if (!Files.isWritable(directory)) {
            throw new IOException("cannot open storage " + path + ": the directory is not writable");
        }
        return directory;
    }

    @Deactivate
    void deactivate() {
        List<OpenDirectory> left;
        synchronized (open) {
            deactivated = true;
            left = new ArrayList<>(open);
            open.clear();
        }
        for (OpenDirectory storage : left) {
            logger.info("closing storage {} left open at deactivation", storage.path());
            storage.close();
        }
    }

    private void forget(OpenDirectory storage) {
        synchronized (open) {
            open.remove(storage);
        }
    }

    /** An open directory: every call is the underlying {@link DirectoryStorage}'s. */
    private final class OpenDirectory implements OpenStorage {
        private final String path;
        private final DirectoryStorage storage;
        private boolean closed;

        OpenDirectory(String path, DirectoryStorage storage) {
            this.path = path;
            this.storage = storage;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            storage.close();
            forget(this);
        }

        @Override
        public void append(String name, byte[] data, int offset, int length) throws IOException {
            storage.append(name, data, offset, length);
        }

        @Override
        public void sync(String name) throws IOException {
            storage.sync(name);
        }

        @Override
        public void replace(String name, byte[] content) throws IOException {
            storage.replace(name, content);
        }

        @Override
        public void truncate(String name, long length) throws IOException {
            storage.truncate(name, length);
        }

        @Override
        public byte[] read(String name) throws IOException {
            return storage.read(name);
        }

        @Override
        public List<String> list() throws IOException {
            return storage.list();
        }

        @Override
        public void delete(String name) throws IOException {
            storage.delete(name);
        }

        @Override
        public String toString() {
            return "OpenStorage[" + path + "]";
        }
    }

    /** For tests: how many storages this provider holds open. */
    int openCount() {
        synchronized (open) {
            return open.size();
        }
    }
}
