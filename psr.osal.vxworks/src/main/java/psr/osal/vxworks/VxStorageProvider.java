package psr.osal.vxworks;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import psr.api.osal.DurableStorageProvider;

/**
 * {@link DurableStorageProvider} on VxWorks. Paths are device-style, {@code /ata0:1/psr/parts/a}: the first
 * component names the volume. {@link #open} asks the volume's file system (HRFS or dosFs; anything else is
 * refused), creates missing directories, and finishes any replace a crash interrupted.
 *
 * <p>Locking: one JVM runs on a VxWorks target, so the lock is a set of open paths shared by every provider in
 * this JVM (a replacement provider sees what the old one still holds). Paths are compared after removing
 * repeated and trailing slashes.
 */
final class VxStorageProvider implements DurableStorageProvider {

    private static final Set<String> LOCKED = ConcurrentHashMap.newKeySet();

    private final VxKernel kernel;
    private final List<VxStorage> open = new ArrayList<>();
    private boolean closed;

    VxStorageProvider(VxKernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public OpenStorage open(String path) throws IOException {
        String normal = normalize(path);
        int type;
        try {
            type = kernel.volumeType(normal);
        } catch (VxException e) {
            throw new IOException("cannot open storage " + path + ": its volume is not usable: " + e.getMessage(), e);
        }
        if (type != VxKernel.VOLUME_HRFS && type != VxKernel.VOLUME_DOSFS) {
            throw new IOException("cannot open storage " + path + ": the volume is " + VxStorage.volumeName(type)
                    + "; expected HRFS or dosFs");
        }
        makeDirectories(path, normal);
        String key = System.identityHashCode(kernel) + ":" + normal;
        synchronized (open) {
            if (closed) {
                throw new IOException("cannot open storage " + path + ": the VxWorks storage provider is deactivated");
            }
            if (!LOCKED.add(key)) {
                throw new IOException("cannot open storage " + path + ": it is already used by another storage in "
                        + "this JVM; give each storage its own directory");
            }
            try {
                VxStorage[] holder = new VxStorage[1];
                VxStorage storage = new VxStorage(kernel, normal, type, () -> {
                    LOCKED.remove(key);
                    synchronized (open) {
                        open.remove(holder[0]);
                    }
                });
                holder[0] = storage;
                open.add(storage);
                return storage;
            } catch (IOException e) {
                LOCKED.remove(key);
                throw new IOException("cannot open storage " + path + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                LOCKED.remove(key);
                throw e;
            }
        }
    }

    /** Closes the storages still open. */
    void close() {
        List<VxStorage> left;
        synchronized (open) {
            closed = true;
            left = new ArrayList<>(open);
        }
        left.forEach(VxStorage::close);
    }

    static String normalize(String path) throws IOException {
        if (path == null || path.isBlank()) {
            throw new IOException("cannot open storage '" + path + "': the path is empty; expected a device-style "
                    + "path such as /ata0:1/psr/parts/a");
        }
        if (!path.startsWith("/")) {
            throw new IOException("cannot open storage " + path + ": the path is relative; expected a device-style "
                    + "path such as /ata0:1/psr/parts/a");
        }
        StringBuilder normal = new StringBuilder();
        for (String part : path.split("/")) {
            if (part.isEmpty()) {
                continue;
            }
            if (part.equals(".") || part.equals("..")) {
                throw new IOException("cannot open storage " + path + ": '.' and '..' are not allowed in a storage path");
            }
            normal.append('/').append(part);
        }
        if (normal.indexOf("/", 1) < 0) {
            throw new IOException("cannot open storage " + path + ": that is a whole volume; give a directory on it, "
                    + "such as " + normal + "/psr");
        }
        return normal.toString();
    }

    private void makeDirectories(String given, String normal) throws IOException {
        int next = normal.indexOf('/', 1);
        while (next >= 0) {
            int end = normal.indexOf('/', next + 1);
            String directory = end < 0 ? normal : normal.substring(0, end);
            try {
                kernel.mkdir(directory);
            } catch (VxException e) {
                if (e.errno() != VxKernel.EEXIST) {
                    throw new IOException("cannot open storage " + given + ": creating " + directory + " failed: "
                            + e.getMessage(), e);
                }
            }
            next = end;
        }
    }
}
