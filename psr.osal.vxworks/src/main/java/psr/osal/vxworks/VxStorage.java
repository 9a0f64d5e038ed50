package psr.osal.vxworks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import psr.api.osal.DurableStorage;
import psr.api.osal.DurableStorageProvider.OpenStorage;

/**
 * {@link DurableStorage} in one directory of a VxWorks volume, through {@link VxKernel} only. How each promise
 * is kept depends on the volume's file system, asked once at open:
 *
 * <ul>
 * <li><b>HRFS</b> (transactional). {@code sync}: {@code ioctl(FIOSYNC)} then {@code ioctl(FIOCOMMITFS)}, a
 * transaction point that makes everything written on the volume durable at once. {@code replace}: write
 * {@code ~name.tmp}, rename it over {@code name} (HRFS replaces), commit: the old or the new content survives,
 * never a mix. {@code truncate}, {@code delete}: the change, then a commit.</li>
 * <li><b>dosFs</b> (no transactions, rename does not replace). {@code sync}: {@code ioctl(FIOFLUSH)}, which
 * writes the file's data, the FAT and the directory entries. {@code replace}: write and flush {@code ~name.tmp},
 * rename it to {@code ~name.new} and flush (now the new content is complete and durable), remove {@code name},
 * rename {@code ~name.new} to {@code name}, flush. Opening the directory finishes an interrupted replace: a
 * {@code ~name.new} replaces {@code name}; a {@code ~name.tmp} (incomplete) is removed.</li>
 * </ul>
 *
 * <p>Errors: every kernel failure becomes an {@link IOException} that names the storage, the operation, the
 * file and the kernel call with its errno. A failed call leaves no descriptor open and the storage usable:
 * the next call reopens what it needs. After a failed {@code append} the file may hold part of the bytes;
 * after a failed {@code sync} nothing since the last successful one is known to be durable.
 */
final class VxStorage implements OpenStorage {

    static final String INTERNAL_PREFIX = "~";
    static final String TEMP_SUFFIX = ".tmp";
    static final String NEW_SUFFIX = ".new";

    private final VxKernel kernel;
    private final String path;
    private final int volumeType;
    private final Runnable onClose;
    /** Descriptors kept open by append, per file name. */
    private final Map<String, Integer> appendFds = new HashMap<>();
    /** Files whose sync failed: every later append or sync fails until the file is replaced or deleted. */
    private final Map<String, String> syncFailed = new HashMap<>();
    private boolean closed;

    VxStorage(VxKernel kernel, String path, int volumeType, Runnable onClose) throws IOException {
        this.kernel = kernel;
        this.path = path;
        this.volumeType = volumeType;
        this.onClose = onClose;
        recover();
    }

    static String volumeName(int type) {
        return type == VxKernel.VOLUME_HRFS ? "HRFS" : type == VxKernel.VOLUME_DOSFS ? "dosFs" : "type " + type;
    }

    int volumeType() {
        return volumeType;
    }

    @Override
    public String path() {
        return path;
    }

    @Override
    public synchronized void append(String name, byte[] data, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, data.length);
        DurableStorage.checkName(name);
        checkOpen();
        checkNotFailed(name);
        int fd = appendFd(name, "append");
        try {
            int written = 0;
            while (written < length) {
                written += kernel.write(fd, data, offset + written, length - written);
            }
        } catch (VxException e) {
            dropAppendFd(name);
            throw failure("append to", name, e);
        }
    }

    @Override
    public synchronized void sync(String name) throws IOException {
        DurableStorage.checkName(name);
        checkOpen();
        checkNotFailed(name);
        Integer fd = appendFds.get(name);
        if (fd != null) {
            try {
                makeDurable(fd);
            } catch (VxException e) {
                dropAppendFd(name);
                syncFailed.put(name, e.getMessage());
                throw failure("sync of", name, e);
            }
            return;
        }
        int opened = open("sync of", name, VxKernel.O_WRONLY, false);
        try {
            makeDurable(opened);
        } catch (VxException e) {
            closeQuietly(opened);
            syncFailed.put(name, e.getMessage());
            throw failure("sync of", name, e);
        }
        close("sync of", name, opened);
    }

    @Override
    public synchronized void replace(String name, byte[] content) throws IOException {
        DurableStorage.checkName(name);
        checkOpen();
        closeAppendFd(name);
        syncFailed.remove(name); // a new file, written and synced below
        String temporary = INTERNAL_PREFIX + name + TEMP_SUFFIX;
        int fd = open("replace of", temporary, VxKernel.O_WRONLY | VxKernel.O_CREAT | VxKernel.O_TRUNC, true);
        try {
            int written = 0;
            while (written < content.length) {
                written += kernel.write(fd, content, written, content.length - written);
            }
            kernel.ioctl(fd, volumeType == VxKernel.VOLUME_HRFS ? VxKernel.IOCTL_FIOSYNC : VxKernel.IOCTL_FIOFLUSH, 0);
        } catch (VxException e) {
            closeQuietly(fd);
            removeQuietly(temporary);
            throw failure("replace of", name, e);
        }
        close("replace of", name, fd);
        try {
            if (volumeType == VxKernel.VOLUME_HRFS) {
                kernel.rename(file(temporary), file(name));
                commitDirectory();
            } else {
                String complete = INTERNAL_PREFIX + name + NEW_SUFFIX;
                kernel.rename(file(temporary), file(complete));
                commitDirectory();
                // From here the new content is durable under ~name.new; recover() finishes the job after a crash.
                removeIfPresent(name);
                kernel.rename(file(complete), file(name));
                commitDirectory();
            }
        } catch (VxException e) {
            throw failure("replace of", name, e);
        }
    }

    @Override
    public synchronized void truncate(String name, long length) throws IOException {
        DurableStorage.checkName(name);
        checkOpen();
        if (length < 0) {
            throw new IllegalArgumentException("truncate of '" + name + "' to negative length " + length);
        }
        closeAppendFd(name);
        int fd = open("truncate of", name, VxKernel.O_RDWR, false);
        try {
            long size = size(fd);
            if (length > size) {
                throw new IllegalArgumentException("truncate of '" + name + "' to " + length + " bytes would grow it: "
                        + "it holds " + size + " bytes");
            }
            kernel.ftruncate(fd, length);
            makeDurable(fd);
        } catch (VxException e) {
            closeQuietly(fd);
            throw failure("truncate of", name, e);
        } catch (RuntimeException e) {
            closeQuietly(fd);
            throw e;
        }
        close("truncate of", name, fd);
    }

    @Override
    public synchronized byte[] read(String name) throws IOException {
        DurableStorage.checkName(name);
        checkOpen();
        int fd;
        try {
            fd = kernel.open(file(name), VxKernel.O_RDONLY, 0);
        } catch (VxException e) {
            if (e.errno() == VxKernel.ENOENT) {
                return null;
            }
            throw failure("read of", name, e);
        }
        byte[] content;
        try {
            content = readAll(fd);
        } catch (VxException e) {
            closeQuietly(fd);
            throw failure("read of", name, e);
        }
        close("read of", name, fd);
        return content;
    }

    @Override
    public synchronized List<String> list() throws IOException {
        checkOpen();
        String[] entries;
        try {
            entries = kernel.readdir(path);
        } catch (VxException e) {
            throw new IOException("storage " + path + ": list failed: " + e.getMessage(), e);
        }
        List<String> names = new ArrayList<>();
        for (String entry : entries) {
            if (isCallerName(entry)) {
                names.add(entry);
            }
        }
        Collections.sort(names);
        return names;
    }

    @Override
    public synchronized void delete(String name) throws IOException {
        DurableStorage.checkName(name);
        checkOpen();
        closeAppendFd(name);
        syncFailed.remove(name);
        try {
            if (removeIfPresent(name)) {
                commitDirectory();
            }
        } catch (VxException e) {
            throw failure("delete of", name, e);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (Integer fd : appendFds.values()) {
                closeQuietly(fd);
            }
            appendFds.clear();
        }
        onClose.run();
    }

    @Override
    public String toString() {
        return "VxStorage[" + path + " on " + volumeName(volumeType) + "]";
    }

    // ---------------------------------------------------------------- helpers

    /** Makes the file behind {@code fd} durable under the volume's rules. */
    private void checkNotFailed(String name) throws IOException {
        String failed = syncFailed.get(name);
        if (failed != null) {
            throw new IOException("an earlier sync of '" + name + "' on " + path + " failed (" + failed
                    + "): what was written since the last successful one may be lost; replace the file to go on");
        }
    }

    private void makeDurable(int fd) throws VxException {
        if (volumeType == VxKernel.VOLUME_HRFS) {
            kernel.ioctl(fd, VxKernel.IOCTL_FIOSYNC, 0);
            kernel.ioctl(fd, VxKernel.IOCTL_FIOCOMMITFS, 0);
        } else {
            kernel.ioctl(fd, VxKernel.IOCTL_FIOFLUSH, 0);
        }
    }

    /** Makes the directory's entries durable: a commit on HRFS, a flush of the directory on dosFs. */
    private void commitDirectory() throws VxException {
        int fd = kernel.open(path, VxKernel.O_RDONLY, 0);
        try {
            kernel.ioctl(fd, volumeType == VxKernel.VOLUME_HRFS ? VxKernel.IOCTL_FIOCOMMITFS : VxKernel.IOCTL_FIOFLUSH, 0);
        } catch (VxException e) {
            closeQuietly(fd);
            throw e;
        }
        kernel.close(fd);
    }

    private int appendFd(String name, String operation) throws IOException {
        Integer fd = appendFds.get(name);
        if (fd == null) {
            fd = open(operation + " to", name, VxKernel.O_WRONLY | VxKernel.O_CREAT | VxKernel.O_APPEND, true);
            appendFds.put(name, fd);
        }
        return fd;
    }

    private void dropAppendFd(String name) {
        Integer fd = appendFds.remove(name);
        if (fd != null) {
            closeQuietly(fd);
        }
    }

    private void closeAppendFd(String name) throws IOException {
        Integer fd = appendFds.remove(name);
        if (fd != null) {
            close("closing", name, fd);
        }
    }

    private int open(String operation, String name, int flags, boolean create) throws IOException {
        try {
            return kernel.open(file(name), flags, create ? 0644 : 0);
        } catch (VxException e) {
            throw failure(operation, name, e);
        }
    }

    private void close(String operation, String name, int fd) throws IOException {
        try {
            kernel.close(fd);
        } catch (VxException e) {
            throw failure(operation, name, e);
        }
    }

    private byte[] readAll(int fd) throws VxException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        while (true) {
            int n = kernel.read(fd, buffer, 0, buffer.length);
            if (n <= 0) {
                return out.toByteArray();
            }
            out.write(buffer, 0, n);
        }
    }

    private long size(int fd) throws VxException {
        long size = 0;
        byte[] buffer = new byte[8192];
        // ioLib has no portable fstat size for every driver here; count by reading (truncate is rare: compaction).
        while (true) {
            int n = kernel.read(fd, buffer, 0, buffer.length);
            if (n <= 0) {
                return size;
            }
            size += n;
        }
    }

    private boolean removeIfPresent(String name) throws VxException {
        try {
            kernel.remove(file(name));
            return true;
        } catch (VxException e) {
            if (e.errno() == VxKernel.ENOENT) {
                return false;
            }
            throw e;
        }
    }

    private void removeQuietly(String name) {
        try {
            kernel.remove(file(name));
        } catch (VxException e) {
            // The temporary is removed again by recover() at the next open.
        }
    }

    private void closeQuietly(int fd) {
        try {
            kernel.close(fd);
        } catch (VxException e) {
            // Already failing; the first error is what the caller needs.
        }
    }

    /** Finishes or undoes a replace that a crash interrupted. Messages leave the path to the provider, which adds it. */
    private void recover() throws IOException {
        String[] entries;
        try {
            entries = kernel.readdir(path);
        } catch (VxException e) {
            throw new IOException("cannot list the directory: " + e.getMessage(), e);
        }
        boolean changed = false;
        try {
            for (String entry : entries) {
                if (entry.startsWith(INTERNAL_PREFIX) && entry.endsWith(TEMP_SUFFIX)) {
                    kernel.remove(file(entry));
                    changed = true;
                } else if (entry.startsWith(INTERNAL_PREFIX) && entry.endsWith(NEW_SUFFIX)) {
                    String target = entry.substring(INTERNAL_PREFIX.length(), entry.length() - NEW_SUFFIX.length());
                    removeIfPresent(target);
                    kernel.rename(file(entry), file(target));
                    changed = true;
                }
            }
            if (changed) {
                commitDirectory();
            }
        } catch (VxException e) {
            throw new IOException("cannot finish an interrupted replace: " + e.getMessage(), e);
        }
    }

    private String file(String name) {
        return path + "/" + name;
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new IOException("storage " + path + " is closed");
        }
    }

    private IOException failure(String operation, String name, VxException e) {
        return new IOException("storage " + path + ": " + operation + " '" + name + "' failed: " + e.getMessage(), e);
    }

    static boolean isCallerName(String name) {
        try {
            DurableStorage.checkName(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
