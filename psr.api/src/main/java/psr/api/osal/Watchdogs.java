package psr.api.osal;

import java.util.concurrent.TimeUnit;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Creates software watchdogs: a watched activity (an event loop, a replica's tick) {@link Watchdog#kick kicks}
 * its watchdog regularly; when no kick arrives for the timeout, the watchdog runs its timeout action.
 *
 * <p><b>Durability.</b> Nothing is stored. A watchdog does not survive the process, the bundle or the
 * component that provides it: when the provider goes away, its watchdogs stop and their actions never run.
 *
 * <p><b>Blocking.</b> {@link #start} and every {@link Watchdog} method never block and may be called from any
 * thread. Timeout actions run on a task of the provider (never on the watched loop, which may be the one that
 * hangs), at the provider's highest priority, one at a time: an action must finish quickly and must not block
 * (log, count, hand work to another loop, or halt the node).
 */
@ProviderType
public interface Watchdogs {

    /**
     * Starts a watchdog that runs {@code timeoutAction} when it is not kicked for {@code timeout}. The time
     * counts from this call. Timing is the platform clock's: the action runs no earlier than the timeout, and
     * later by at most one clock step plus the provider's scheduling delay.
     *
     * @param name          for diagnostics
     * @param timeoutAction runs once per expiry; what it throws is logged by the provider
     * @throws IllegalArgumentException when the timeout is not positive or a name or action is missing
     */
    Watchdog start(String name, long timeout, TimeUnit unit, Runnable timeoutAction);

    /** One watchdog. */
    @ProviderType
    interface Watchdog extends AutoCloseable {

        /** Restarts the timeout. After an expiry, a kick re-arms the watchdog, so it can expire again. */
        void kick();

        /** True from an expiry until the next kick. */
        boolean expired();

        /** How many times the timeout action has run. */
        long expiries();

        /** The name given at start. */
        String name();

        /** Stops the watchdog: its action will not start again. An action running now completes. Idempotent. */
        @Override
        void close();
    }
}
