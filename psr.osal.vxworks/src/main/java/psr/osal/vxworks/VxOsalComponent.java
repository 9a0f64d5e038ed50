package psr.osal.vxworks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;

import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.ComponentException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;

import psr.api.osal.Clock;
import psr.api.osal.DurableStorageProvider;
import psr.api.osal.EventLoops;
import psr.api.osal.NetworkInterfaces;
import psr.api.osal.Watchdogs;

/**
 * Chooses the kernel binding and registers the five OSAL services over it, each with {@code psr.osal=vxworks}
 * and {@code psr.vxworks.kernel=jni|emulated}.
 *
 * <p>The binding comes from the framework (or system) property {@value #KERNEL_PROPERTY}: {@code jni} (the
 * default: the native library from {@code Bundle-NativeCode}) or {@code emulated} (the host emulation, for
 * running this backend on Linux; its settings are {@code psr.vxworks.emulation.root}, {@code .clkrate} and
 * {@code .starttick}). Anything else, or a JNI library that does not load, fails activation with one message
 * that says what to do; no service is registered then.
 */
@Component(name = VxOsalComponent.NAME, service = {}, immediate = true)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=psr.api.osal.Clock", uses = Clock.class)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=psr.api.osal.EventLoops",
        uses = EventLoops.class)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=psr.api.osal.DurableStorageProvider",
        uses = DurableStorageProvider.class)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=psr.api.osal.NetworkInterfaces",
        uses = NetworkInterfaces.class)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=psr.api.osal.Watchdogs",
        uses = Watchdogs.class)
public final class VxOsalComponent {

    static final String NAME = "psr.osal.vxworks";
    static final String KERNEL_PROPERTY = "psr.vxworks.kernel";

    private final Logger logger;
    private final VxEventLoops eventLoops;
    private final VxStorageProvider storageProvider;
    private final VxWatchdogs watchdogs;
    private final List<ServiceRegistration<?>> registrations = new ArrayList<>();

    @Activate
    public VxOsalComponent(BundleContext context, @Reference(service = LoggerFactory.class) Logger logger) {
        this.logger = logger;
        String binding = context.getProperty(KERNEL_PROPERTY);
        binding = binding == null || binding.isBlank() ? "jni" : binding.trim();
        VxKernel kernel = kernel(context, binding);
        VxClock clock = new VxClock(kernel);
        eventLoops = new VxEventLoops(kernel, logger::warn);
        storageProvider = new VxStorageProvider(kernel);
        try {
            watchdogs = new VxWatchdogs(kernel, (message, failure) -> {
                if (failure == null) {
                    logger.warn(message);
                } else {
                    logger.error(message, failure);
                }
            });
        } catch (VxException e) {
            throw new ComponentException("psr.osal.vxworks: starting the watchdog task failed: " + e.getMessage(), e);
        }
        register(context, Clock.class, clock, binding, "PSR clock (VxWorks ticks at " + clock.rate() + " Hz)");
        register(context, EventLoops.class, eventLoops, binding, "PSR event loops (one VxWorks task each)");
        register(context, DurableStorageProvider.class, storageProvider, binding,
                "PSR durable storage provider (VxWorks HRFS / dosFs)");
        register(context, NetworkInterfaces.class, new VxNetworkInterfaces(kernel), binding,
                "PSR network interface lookup (VxWorks ifLib)");
        register(context, Watchdogs.class, watchdogs, binding, "PSR software watchdogs (VxWorks task tPsrWdog)");
        logger.info("VxWorks OSAL ready on {} ({} ticks per second)", kernel, clock.rate());
    }

    private <T> void register(BundleContext context, Class<T> type, T service, String binding, String description) {
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("psr.osal", "vxworks");
        properties.put(KERNEL_PROPERTY, binding);
        properties.put(Constants.SERVICE_DESCRIPTION, description);
        registrations.add(context.registerService(type, service, properties));
    }

    static VxKernel kernel(BundleContext context, String binding) {
        switch (binding) {
            case "jni":
                try {
                    return JniVxKernel.load();
                } catch (UnsatisfiedLinkError e) {
                    throw new ComponentException("psr.osal.vxworks: the native library " + JniVxKernel.LIBRARY
                            + " did not load (" + e.getMessage() + "). On a VxWorks target, build it into the bundle "
                            + "(see the module README); on a Linux host, set " + KERNEL_PROPERTY + "=emulated", e);
                }
            case "emulated":
                return emulated(context);
            default:
                throw new ComponentException("psr.osal.vxworks: property " + KERNEL_PROPERTY + " = '" + binding
                        + "' is not allowed: expected jni (on target, the default) or emulated (host emulation)");
        }
    }

    private static VxKernel emulated(BundleContext context) {
        int rate = intProperty(context, "psr.vxworks.emulation.clkrate", 60);
        long startTick = Long.parseUnsignedLong(property(context, "psr.vxworks.emulation.starttick", "0"));
        try {
            String rootProperty = context.getProperty("psr.vxworks.emulation.root");
            Path root = rootProperty == null ? Files.createTempDirectory("psr-vxworks-") : Path.of(rootProperty);
            return EmulatedVxKernel.withDefaults(rate, startTick, root);
        } catch (IOException | RuntimeException e) {
            throw new ComponentException("psr.osal.vxworks: the host emulation could not start: " + e, e);
        }
    }

    private static String property(BundleContext context, String name, String fallback) {
        String value = context.getProperty(name);
        return value == null || value.isBlank() ? fallback : value.trim();
    }

    private static int intProperty(BundleContext context, String name, int fallback) {
        String value = property(context, name, Integer.toString(fallback));
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new ComponentException("psr.osal.vxworks: property " + name + " = '" + value + "' is not allowed: "
                    + "expected a whole number", e);
        }
    }

    @Deactivate
    void deactivate() {
        for (ServiceRegistration<?> registration : registrations) {
            try {
                registration.unregister();
            } catch (IllegalStateException e) {
                // The bundle is stopping and the framework already removed it.
            }
        }
        eventLoops.close();
        storageProvider.close();
        watchdogs.close();
        logger.info("VxWorks OSAL stopped");
    }
}
