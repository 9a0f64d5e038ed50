package psr.osal.vxworks;

import psr.api.osal.Clock;

/**
 * {@link Clock} on VxWorks: monotonic time is the 64-bit tick count ({@code tick64Get}) converted at
 * {@code sysClkRateGet} ticks per second, so it advances in steps of one tick (16.7 ms at the default 60 Hz).
 * The conversion works on the tick difference since this clock was created, computed with wrap-safe unsigned
 * arithmetic, so neither a tick count near 2^64 nor a 32-bit {@code tickGet} rollover disturbs it. Wall time is
 * the JVM's ({@code clock_gettime(CLOCK_REALTIME)} on VxWorks).
 */
final class VxClock implements Clock {

    private final VxKernel kernel;
    private final int rate;
    private final long origin;

    VxClock(VxKernel kernel) {
        this.kernel = kernel;
        this.rate = kernel.sysClkRateGet();
        if (rate <= 0) {
            throw new IllegalStateException("sysClkRateGet() returned " + rate + ": the system clock is not running");
        }
        this.origin = kernel.tick64Get();
    }

    /** Nanoseconds in {@code ticks} ticks at {@code rate} Hz, exact to a nanosecond and without overflow for spans up to 292 years. */
    static long ticksToNanos(long ticks, int rate) {
        return ticks / rate * 1_000_000_000L + ticks % rate * 1_000_000_000L / rate;
    }

    /** The least whole number of ticks that lasts at least {@code nanos}, plus one, because the tick in progress is partly over: a delay of n ticks can end up to a tick early. */
    static long nanosToTicksAtLeast(long nanos, int rate) {
        if (nanos <= 0) {
            return 0;
        }
        long whole = nanos / 1_000_000_000L * rate;
        long rest = nanos % 1_000_000_000L;
        long part = (rest * rate + 999_999_999L) / 1_000_000_000L;
        return whole + part + 1;
    }

    @Override
    public long monotonicNanos() {
        return ticksToNanos(VxKernel.ticksBetween(origin, kernel.tick64Get()), rate);
    }

    @Override
    public long wallMillis() {
        return System.currentTimeMillis();
    }

    @Override
    public long resolutionNanos() {
        return (1_000_000_000L + rate - 1) / rate;
    }

    int rate() {
        return rate;
    }

    @Override
    public String toString() {
        return "VxClock[" + rate + " Hz]";
    }
}
