package psr.api.osal;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The platform's clocks. Both methods are cheap, never block and may be called from any thread.
 */
@ProviderType
public interface Clock {

    /** A monotonic time in nanoseconds: only differences mean anything; never goes back, not even across a wall clock step. */
    long monotonicNanos();

    /** Wall clock time in milliseconds since 1970-01-01T00:00Z (UTC); may step. For timestamps, never for timeouts. */
    long wallMillis();

    /** How many nanoseconds one step of {@link #monotonicNanos()} is at least (1 on Linux, one tick on VxWorks). */
    long resolutionNanos();
}
