package psr.runtime;

import java.util.Collection;

import org.osgi.framework.BundleContext;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/**
 * What SIGTERM and SIGINT (Ctrl-C) do to a running controller. SIGTERM (systemd, {@code kill}) stops the framework
 * cleanly and the runtime exits with 0, as for {@code stop 0}. Ctrl-C interrupts the console command that is running,
 * if one registered itself as interruptible (a {@link Runnable} service with {@value #INTERRUPT_PROPERTY}{@code =true},
 * e.g. {@code psr:watch}); with none running, it stops the runtime as SIGTERM does.
 *
 * <p>Uses {@code sun.misc.Signal} (module jdk.unsupported), the only way for a Java program to handle a signal
 * without exiting the JVM; where it is missing or refused, the launcher's shutdown hook still stops the framework
 * (the exit code is then the JVM's, 143 or 130).
 */
final class ConsoleSignals {
    /** The service property a console command's interrupt hook carries. */
    static final String INTERRUPT_PROPERTY = "psr.console.interrupt";

    private ConsoleSignals() {}

    /** Installs the handlers; {@code stop} stops the framework (it is called on a thread of its own). Returns false when not possible. */
    static boolean install(BundleContext context, Runnable stop, LogSink log) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("TERM"), s -> new Thread(stop, "psr-sigterm").start());
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), s -> {
                if (!interruptConsoleCommand(context)) new Thread(stop, "psr-sigint").start();
            });
            return true;
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            log.launcher(org.osgi.service.log.LogLevel.WARN, "signal handlers not installed (" + e + "); SIGTERM and Ctrl-C stop the"
                    + " runtime through the JVM's shutdown, with the JVM's exit code");
            return false;
        }
    }

    /** Runs the interrupt hooks of the console commands running now; false when there is none. */
    static boolean interruptConsoleCommand(BundleContext context) {
        Collection<ServiceReference<Runnable>> hooks;
        try {
            hooks = context.getServiceReferences(Runnable.class, "(" + INTERRUPT_PROPERTY + "=true)");
        } catch (InvalidSyntaxException | IllegalStateException e) {
            return false;
        }
        boolean any = false;
        for (ServiceReference<Runnable> ref : hooks) {
            Runnable hook = context.getService(ref);
            if (hook == null) continue;
            try {
                hook.run();
                any = true;
            } finally {
                context.ungetService(ref);
            }
        }
        return any;
    }
}
