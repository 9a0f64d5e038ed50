package psr.bridge.mqtt;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.ConfigurationPlugin;

/**
 * Keeps the bridge's password out of its component properties, where {@code scr:info} and every other tool that
 * shows component properties would print it: a ConfigurationAdmin plugin takes {@value BridgeSettings#PASSWORD} out of
 * each {@code psr.bridge.mqtt} configuration before SCR sees it and holds it here, by configuration PID, for the
 * bridge that configuration starts. Registered by the bundle activator, so it is there before SCR reads the
 * bundle's components and their configurations.
 */
public final class SecretsPlugin implements ConfigurationPlugin, BundleActivator {
    private static final Map<String, char[]> SECRETS = new ConcurrentHashMap<>();
    private ServiceRegistration<ConfigurationPlugin> registration;

    /** The password the plugin took out of configuration {@code pid}, or null. */
    static char[] password(String pid) {
        char[] p = SECRETS.get(pid);
        return p == null ? null : p.clone();
    }

    @Override
    public void modifyConfiguration(ServiceReference<?> reference, Dictionary<String, Object> properties) {
        Object pid = properties.get("service.pid");
        boolean ours = BridgeComponent.PID.equals(properties.get("service.factoryPid")) || BridgeComponent.PID.equals(pid);
        if (!ours || pid == null) return;
        Object password = properties.remove(BridgeSettings.PASSWORD);
        if (password != null) SECRETS.put(pid.toString(), password.toString().toCharArray()); else SECRETS.remove(pid.toString());
    }

    @Override
    public void start(BundleContext context) {
        Dictionary<String, Object> props = new Hashtable<>();
        props.put(ConfigurationPlugin.CM_TARGET, new String[] {BridgeComponent.PID});
        props.put(ConfigurationPlugin.CM_RANKING, 100);
        registration = context.registerService(ConfigurationPlugin.class, this, props);
    }

    @Override
    public void stop(BundleContext context) {
        if (registration != null) registration.unregister();
        SECRETS.clear();
    }
}
