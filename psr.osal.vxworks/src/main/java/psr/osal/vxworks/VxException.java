package psr.osal.vxworks;

import java.io.IOException;

/**
 * A VxWorks kernel call returned {@code ERROR}: names the call, the {@code errno} it set and, where the
 * binding knows it, the errno's text. The backend wraps it in a message that says what it was doing.
 */
public final class VxException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public VxException(String call, int errno, String text) {
        super(call + ": errno " + errno + " (0x" + Integer.toHexString(errno) + (text == null || text.isEmpty()
                ? "" : ", " + text) + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The kernel routine that failed, e.g. {@code "ioctl(FIOCOMMITFS)"} or {@code "semTake"}. */
    public String call() {
        return call;
    }

    /** The errno value the call set. */
    public int errno() {
        return errno;
    }
}
