package psr.osal.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Dictionary;
import java.util.Hashtable;

import org.osgi.annotation.bundle.Capability;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.ComponentException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import psr.api.osal.DurableStorage;

/**
 * One {@link DurableStorage} service per factory configuration of {@value #PID}.
 *
 * <p>The service carries the properties {@code psr.storage} (the configured name) and {@code directory}, so
 * a consumer picks its storage with a target filter such as {@code (psr.storage=part-a)}.
 *
 * <p>The component registers the service itself, and only once the configuration has been checked and the
 * directory locked. Had DS registered it, a component whose configuration is bad would still show a
 * {@code DurableStorage} service (DS registers first and creates the object on demand), and a consumer
 * would bind to something that cannot work. Here a bad configuration leaves the component configuration in
 * FAILED ACTIVATION with no service, and SCR logs one error whose cause names the property, its value and
 * what is allowed.
 */
@Component(name = StorageComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {},
        immediate = true)
@Designate(ocd = StorageComponent.Config.class, factory = true)
@Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=psr.api.osal.DurableStorage",
        uses = DurableStorage.class)
public final class StorageComponent {

    /** The component name and factory PID; one configuration per storage directory. */
    public static final String PID = "psr.osal.linux.storage";

    @ObjectClassDefinition(name = "PSR durable storage (Linux)",
            description = "A directory in which PSR keeps files that must survive power loss: replica logs, "
                    + "view state and snapshots. Create one configuration per storage.")
    public @interface Config {

        @AttributeDefinition(name = "Name",
                description = "Name consumers select this storage by (service property psr.storage): 1 to 64 "
                        + "characters from A-Z a-z 0-9 . - _")
        String psr_storage();

        @AttributeDefinition(name = "Directory",
                description = "Absolute path of the directory holding the files. Created if missing; must be "
                        + "writable and used by no other storage.")
        String directory();
    }

    private final DirectoryStorage storage;
    private final ServiceRegistration<DurableStorage> registration;

    @Activate
    public StorageComponent(Config config, BundleContext context,
            @Reference(service = LoggerFactory.class) Logger logger) {
        String name = checkStorageName(config.psr_storage());
        Path directory = checkDirectory(config.directory());
        try {
            storage = new DirectoryStorage(name, directory, logger);
        } catch (IOException e) {
            throw configError("directory", config.directory(), e.getMessage());
        }
        Dictionary<String, Object> properties = new Hashtable<>();
        properties.put("psr.storage", name);
        properties.put("directory", directory.toString());
        properties.put(Constants.SERVICE_DESCRIPTION, "PSR durable storage '" + name + "' in " + directory);
        try {
            registration = context.registerService(DurableStorage.class, storage, properties);
        } catch (RuntimeException e) {
            storage.close();
            throw e;
        }
    }

    @Deactivate
    void deactivate() {
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // The bundle is stopping and the framework already removed the registration.
        }
        storage.close();
    }

    static String checkStorageName(String value) {
        if (value == null || !DirectoryStorage.isCallerName(value)) {
            throw configError("psr.storage", value, "expected 1 to 64 characters from A-Z a-z 0-9 . - _");
        }
        return value;
    }

    static Path checkDirectory(String value) {
        String allowed = "expected the absolute path of a writable directory (created if missing)";
        if (value == null || value.isBlank()) {
            throw configError("directory", value, "it is empty; " + allowed);
        }
        Path path;
        try {
            path = Path.of(value);
        } catch (InvalidPathException e) {
            throw configError("directory", value, "it is not a valid path (" + e.getReason() + "); " + allowed);
        }
        if (!path.isAbsolute()) {
            throw configError("directory", value, "it is relative; " + allowed);
        }
        path = path.normalize();
        try {
            Files.createDirectories(path);
        } catch (IOException e) {
            throw configError("directory", value, "it cannot be created (" + e + "); " + allowed);
        }
        if (!Files.isWritable(path)) {
            throw configError("directory", value, "it is not writable; " + allowed);
        }
        return path;
    }

    /** One exception whose message is the whole story: which configuration, which property, what is wrong. */
    static ComponentException configError(String property, String value, String problem) {
        String shown = value == null ? "(missing)" : "'" + value + "'";
        return new ComponentException("configuration " + PID + ": property " + property + " = " + shown
                + " is not allowed: " + problem);
    }
}
