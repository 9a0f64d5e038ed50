package psr.settings.secrets;

import java.util.Dictionary;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationPlugin;

/**
 * Keeps secret properties out of a component's properties, where {@code scr:info}, the SCR DTOs and every other tool
 * that shows component properties would print them: a ConfigurationAdmin plugin takes the secret properties out of each
 * configuration of one (factory) PID before SCR sees it, and holds them here, by configuration PID, for the component
 * that configuration starts ({@link #restore}).
 *
 * <p>A bundle makes a subclass naming its PID and secret properties its {@code Bundle-Activator}, so the plugin is
 * registered before SCR reads the bundle's components and their configurations. Each bundle embeds this package
 * privately, so each has its own copy of the held secrets.
 *
 * <p>What ConfigAdmin itself stores is not changed: a {@code .cfg} file or the {@code cm} tools still show a secret
 * written into the configuration. A secret that must not be readable there belongs in a file of its own (the
 * transport's {@code keys.file}).
 */
public abstract class SecretsPlugin implements ConfigurationPlugin, BundleActivator {
    /** Configuration PID to the secret properties taken out of it. */
    private static final Map<String, Map<String, Object>> SECRETS = new ConcurrentHashMap<>();

    private final String pid;
    private final List<String> secretProperties;
    private ServiceRegistration<ConfigurationPlugin> registration;

    /**
     * @param pid              the component's configuration PID, or its factory PID
     * @param secretProperties the properties to keep out of the component's properties, as written
     */
    protected SecretsPlugin(String pid, String... secretProperties) {
        this.pid = pid;
        this.secretProperties = List.of(secretProperties);
    }

    /**
     * {@code properties} (a component's properties, which carry {@code service.pid}) with the secrets the plugin took
     * out of that configuration put back: what the component parses, never what it shows.
     */
    public static Map<String, Object> restore(Map<String, Object> properties) {
        Map<String, Object> all = new HashMap<>(properties);
        Map<String, Object> held = SECRETS.get(String.valueOf(properties.get("service.pid")));
        if (held != null) all.putAll(held);
        return all;
    }

    @Override
    public void modifyConfiguration(ServiceReference<?> reference, Dictionary<String, Object> properties) {
        Object configPid = properties.get("service.pid");
        boolean ours = pid.equals(properties.get("service.factoryPid")) || pid.equals(configPid);
        if (!ours || configPid == null) return;
        Map<String, Object> held = new HashMap<>();
        for (String name : secretProperties) {
            Object value = properties.remove(name);
            if (value != null) held.put(name, value);
        }
        // Replaced as a whole: a secret deleted from the configuration is forgotten here too.
        if (held.isEmpty()) SECRETS.remove(configPid.toString()); else SECRETS.put(configPid.toString(), Map.copyOf(held));
    }

    @Override
    public void start(BundleContext context) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ConfigurationPlugin.CM_TARGET, new String[] {pid});
        // Within 0 to 1000, where ConfigAdmin lets a plugin change the properties it passes on.
        props.put(ConfigurationPlugin.CM_RANKING, 100);
        registration = context.registerService(ConfigurationPlugin.class, this, props);
    }

    @Override
    public void stop(BundleContext context) {
        if (registration != null) registration.unregister();
        SECRETS.clear();
    }
}
