package psr.bridge.mqtt;

import java.util.Random;

/**
 * Delays between connection attempts: exponential from {@code initialMs} to {@code maxMs}, each drawn at random
 * from the upper half of its step (jitter), so controllers that lost the broker together do not come back in step.
 */
final class Backoff {
    private final long initialMs, maxMs;
    private final Random random;
    private int failures;

    Backoff(long initialMs, long maxMs, Random random) {
        if (initialMs < 1 || maxMs < initialMs) throw new IllegalArgumentException("back-off " + initialMs + ".." + maxMs + " ms: expected 1 <= initial <= max");
        this.initialMs = initialMs;
        this.maxMs = maxMs;
        this.random = random;
    }

    /** The delay before the next attempt, after one more failure. */
    long nextDelayMs() {
        long step = initialMs << Math.min(failures, 30);
        if (step <= 0 || step > maxMs) step = maxMs;
        failures++;
        return step / 2 + (long) (random.nextDouble() * (step - step / 2));
    }

    void reset() {
        failures = 0;
    }
}
