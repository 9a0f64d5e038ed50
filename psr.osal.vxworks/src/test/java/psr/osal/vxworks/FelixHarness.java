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
 * Starts Felix from the test class path with both OSAL backends and the services a controller runs. The PSR API
 * packages (and ConfigAdmin's) come from the class path through the system bundle, so tests use the services
 * with their own types.
 */
final class FelixHarness {

    static final long WAIT_MILLIS = 20_000;
    /** psr.api's packages at the versions its manifest exports (read, not repeated here), and ConfigAdmin's. */
    static final String SHARED_PACKAGES = apiExports() + ",org.osgi.service.cm;version=1.6.0";

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

    /** A started framework with {@code bundles} (artifact names on the class path) and this module's bundle. */
    static Framework start(Path storage, Map<String, String> properties, String... bundles) throws Exception {
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, SHARED_PACKAGES);
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

    static String[] runtimeBundles(String... more) {
        List<String> all = new ArrayList<>(List.of("org.osgi.service.log", "org.apache.felix.log",
                "org.osgi.util.function", "org.osgi.util.promise", "org.osgi.service.component",
                "org.apache.felix.scr", "psr.osal.linux"));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    /** The location of a jar (or reactor classes directory) on the test class path whose path names the artifact. */
    static String location(String artifact) {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry);
            String text = path.toString().replace('\\', '/');
            if (text.contains("/" + artifact + "/") || text.contains("/" + artifact + "-")) {
                return (Files.isDirectory(path) ? "reference:" : "") + path.toUri();
            }
        }
        throw new AssertionError("no " + artifact + " on the test class path");
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
