package psr.osal.linux;

import org.osgi.service.component.annotations.Component;

import psr.api.osal.Clock;

/**
 * {@link Clock} of the JVM: {@link System#nanoTime()} for monotonic time (CLOCK_MONOTONIC on Linux, so it
 * does not jump when the wall clock is stepped) and {@link System#currentTimeMillis()} for wall time.
 * Stateless and thread-safe; registered with {@code psr.osal=linux}.
 */
@Component(name = "psr.osal.linux.clock", service = Clock.class, immediate = true,
        property = {"psr.osal=linux", "service.description=PSR clock (JVM System.nanoTime / currentTimeMillis)"})
public final class LinuxClock implements Clock {

    @Override
    public long monotonicNanos() {
        return System.nanoTime();
    }

    @Override
    public long wallMillis() {
        return System.currentTimeMillis();
    }

    /** {@code System.nanoTime} counts in nanoseconds; its real granularity on Linux is the clocksource's, usually 1 ns. */
    @Override
    public long resolutionNanos() {
        return 1;
    }

    @Override
    public String toString() {
        return "LinuxClock";
    }
}
