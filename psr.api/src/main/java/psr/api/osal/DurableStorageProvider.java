package psr.api.osal;

import java.io.IOException;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Opens {@link DurableStorage} directories on the platform's durable file systems.
 */
@ProviderType
public interface DurableStorageProvider {

    /**
     * Opens (creating if needed) the storage directory at {@code path}, in the platform's path syntax
     * (e.g. {@code /var/lib/psr/parts/a} on Linux, {@code /ata0:1/psr/a} on VxWorks), and locks it so that no
     * other storage in this or another process uses it until {@link OpenStorage#close()}.
     *
     * @throws IOException naming the path and what went wrong (not absolute, cannot be created, locked by
     *                     another process, ...)
     */
    OpenStorage open(String path) throws IOException;

    /** An open storage directory. */
    @ProviderType
    interface OpenStorage extends DurableStorage, AutoCloseable {
        /** The directory, as given to {@link #open}. */
        String path();

        /** Releases the directory lock and any open files. Durable state is unaffected. */
        @Override
        void close() throws IOException;
    }
}
