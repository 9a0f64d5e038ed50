package psr.bridge.mqtt;

/** A token bucket: at most {@code perSecond} messages a second on average, bursts of at most one second's worth. */
final class RateLimit {
    private final double perNano;
    private final double burst;
    private double tokens;
    private long lastNanos;

    RateLimit(int perSecond, long nowNanos) {
        if (perSecond < 1) throw new IllegalArgumentException("rate " + perSecond + ": expected at least 1 a second");
        this.perNano = perSecond / 1e9;
        this.burst = perSecond;
        this.tokens = burst;
        this.lastNanos = nowNanos;
    }

    boolean tryTake(long nowNanos) {
        refill(nowNanos);
        if (tokens < 1) return false;
        tokens -= 1;
        return true;
    }

    /** Nanoseconds until one token is there (0 when one is there now). */
    long nanosUntilToken(long nowNanos) {
        refill(nowNanos);
        return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / perNano);
    }

    private void refill(long nowNanos) {
        tokens = Math.min(burst, tokens + (nowNanos - lastNanos) * perNano);
        lastNanos = nowNanos;
    }
}
