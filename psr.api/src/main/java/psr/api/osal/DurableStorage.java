package psr.api.osal;

import java.io.IOException;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Named files in one storage directory, with explicit durability.
 *
 * <p><b>Durability.</b> {@link #append} only hands bytes to the operating system: they may be lost by a
 * power failure until {@link #sync} of the same file returns. {@link #replace}, {@link #truncate} and
 * {@link #delete} are durable when they return (the data and, where the platform needs it, the
 * directory entry are synced). After a crash a file holds every byte appended before its last
 * completed {@code sync}, possibly followed by some (torn) prefix of what was appended after it.
 *
 * <p><b>Blocking.</b> Every method may block on the device; callers must not hold locks that an event
 * loop or a network thread needs while they call it.
 *
 * <p><b>Ownership.</b> Arrays passed in are copied or written before the call returns; the caller may
 * reuse them. Arrays returned belong to the caller.
 *
 * <p><b>Names</b> are plain file names: letters, digits, '.', '-' and '_' only, 1 to 64 characters.
 */
@ProviderType
public interface DurableStorage {

    /** Appends {@code length} bytes of {@code data} from {@code offset} to the end of the named file, creating it if absent. Not durable until {@link #sync}. */
    void append(String name, byte[] data, int offset, int length) throws IOException;

    /** Makes every byte appended to the named file so far durable. Returns when it is. */
    void sync(String name) throws IOException;

    /** Atomically replaces the named file's whole content; durable, directory entry included, when it returns. */
    void replace(String name, byte[] content) throws IOException;

    /** Cuts the named file to {@code length} bytes; durable when it returns. */
    void truncate(String name, long length) throws IOException;

    /** The named file's whole content, or {@code null} when there is no such file. */
    byte[] read(String name) throws IOException;

    /** The names of the files present, sorted. */
    List<String> list() throws IOException;

    /** Removes the named file if present; durable when it returns. */
    void delete(String name) throws IOException;

    /**
     * Checks a file name against the rule in the class comment.
     *
     * @throws IllegalArgumentException naming the bad name and the rule
     */
    static String checkName(String name) {
        if (name == null || name.isEmpty() || name.length() > 64 || !name.matches("[A-Za-z0-9._-]+") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("bad storage file name '" + name
                    + "': expected 1 to 64 characters from A-Z a-z 0-9 . - _ (not '.' or '..')");
        }
        return name;
    }
}
