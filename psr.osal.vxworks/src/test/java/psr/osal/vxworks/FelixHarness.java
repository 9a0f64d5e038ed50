package psr.osal.vxworks;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.util.tracker.ServiceTracker;

/**
 * Starts Felix from the test class path with what a controller runs ({@code cnf/controller.bndrun}: both OSAL
 * backends and the services). The PSR API packages (and ConfigAdmin's and the log API) come from the class path
 * through the system bundle, so tests use the services with their own types.
 */
final class FelixHarness {

    static final long WAIT_MILLIS = 20_000;
    /** psr.api's packages at the versions its manifest exports (read, not repeated here), and ConfigAdmin's. */
    static final String SHARED_PACKAGES = apiExports() + ",org.osgi.service.cm;version=1.6.0"
            // As the runtime's launcher does: the log API comes from the class path (cnf/controller.bndrun's -runpath).
            + ",org.osgi.service.log;version=1.5.0;uses:=\"org.osgi.framework\""
            + ",org.osgi.service.log.admin;version=1.0.0;uses:=\"org.osgi.service.log\"";

    private static String apiExports() {
        try {
            java.util.Enumeration<java.net.URL> manifests = FelixHarness.class.getClassLoader().getResources("META-INF/MANIFEST.MF");
            while (manifests.hasMoreElements()) {
                try (java.io.InputStream in = manifests.nextElement().openStream()) {
                    java.util.jar.Attributes main = new java.util.jar.Manifest(in).getMainAttributes();
                    if ("psr.api".equals(main.getValue("Bundle-SymbolicName"))) return main.getValue("Export-Package");
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new IllegalStateException("psr.api's manifest is not on the test class path");
    }

    private FelixHarness() {
    }

    /** A started framework with {@code bundles} (symbolic names of bundles on the class path) and this module's bundle. */
    static Framework start(Path storage, Map<String, String> properties, String... bundles) throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, SHARED_PACKAGES);
        // The controller's shell and deploy folder are in the set: no console here, an empty folder of its own.
        config.put("gosh.args", "--nointeractive --noshutdown --quiet");
        config.put("felix.fileinstall.dir", storage.resolve("deploy").toString());
        config.put("felix.fileinstall.log.level", "1");
        config.putAll(properties);
        Framework framework = ServiceLoader.load(FrameworkFactory.class).iterator().next().newFramework(config);
        framework.start();
        List<Bundle> installed = new ArrayList<>();
        for (String name : bundles) {
            installed.add(framework.getBundleContext().installBundle(location(name)));
        }
        // This module's own bundle: its classes and manifest as bnd-process left them.
        installed.add(framework.getBundleContext().installBundle("reference:" + Path.of("target/classes")
                .toAbsolutePath().toUri()));
        for (Bundle bundle : installed) {
            if ((bundle.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) == 0) {
                try {
                    bundle.start();
                } catch (BundleException e) {
                    // Expected for the backend of the other platform: it does not resolve.
                }
            }
        }
        return framework;
    }

    /**
     * The bundles a controller runs ({@code cnf/controller.bndrun}'s -runbundles), less the two this harness provides
     * otherwise: {@code psr.api} (its packages come from the class path) and this module's own bundle.
     */
    static String[] controllerBundles() {
        return ControllerDefinition.runBundles().stream()
                .filter(name -> !name.equals("psr.api") && !name.equals("psr.osal.vxworks"))
                .toArray(String[]::new);
    }

    /** The location of the jar (or reactor classes directory) on the test class path whose Bundle-SymbolicName is given. */
    static String location(String symbolicName) {
        List<String> seen = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry);
            String name = symbolicName(path);
            if (symbolicName.equals(name)) {
                return (Files.isDirectory(path) ? "reference:" : "") + path.toUri();
            }
            if (name != null) seen.add(name);
        }
        throw new AssertionError("no bundle " + symbolicName + " on the test class path (add its dependency to "
                + "psr.osal.vxworks/pom.xml); bundles there: " + seen);
    }

    private static String symbolicName(Path entry) {
        try {
            java.util.jar.Manifest manifest;
            if (Files.isDirectory(entry)) {
                Path file = entry.resolve("META-INF/MANIFEST.MF");
                if (!Files.isRegularFile(file)) return null;
                try (java.io.InputStream in = Files.newInputStream(file)) {
                    manifest = new java.util.jar.Manifest(in);
                }
            } else if (entry.toString().endsWith(".jar") && Files.isRegularFile(entry)) {
                try (java.util.jar.JarFile jar = new java.util.jar.JarFile(entry.toFile())) {
                    manifest = jar.getManifest();
                }
            } else {
                return null;
            }
            String name = manifest == null ? null : manifest.getMainAttributes().getValue("Bundle-SymbolicName");
            return name == null ? null : name.split(";", 2)[0].trim();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static Bundle bundle(Framework framework, String symbolicName) {
        for (Bundle bundle : framework.getBundleContext().getBundles()) {
            if (symbolicName.equals(bundle.getSymbolicName())) {
                return bundle;
            }
        }
        throw new AssertionError("no bundle " + symbolicName);
    }

    static ServiceReference<?> service(Framework framework, Class<?> type) throws InterruptedException {
        ServiceTracker<?, ?> tracker = new ServiceTracker<>(framework.getBundleContext(), type.getName(), null);
        tracker.open();
        try {
            assertNotNull(tracker.waitForService(WAIT_MILLIS), "a " + type.getSimpleName() + " service");
            return tracker.getServiceReference();
        } finally {
            tracker.close();
        }
    }

    @SuppressWarnings("unchecked")
    static <T> T get(Framework framework, Class<T> type) throws InterruptedException {
        return (T) framework.getBundleContext().getService(service(framework, type));
    }

    static void stop(Framework framework) throws Exception {
        framework.stop();
        framework.waitForStop(WAIT_MILLIS);
    }
}
