package psr.bridge.mqtt;

/**
 * The bundle's activator: registers the ConfigurationAdmin plugin (the shared {@link psr.settings.secrets.SecretsPlugin})
 * that takes {@value BridgeSettings#PASSWORD} out of each {@code psr.bridge.mqtt} configuration before SCR sees it, so
 * {@code scr:info}, the SCR DTOs and every other tool that shows component properties never print it;
 * {@link BridgeComponent} gets it back for its parser. Being the activator, it is registered before SCR reads the
 * bundle's components and their configurations.
 */
public final class SecretsPlugin extends psr.settings.secrets.SecretsPlugin {
    public SecretsPlugin() {
        super(BridgeComponent.PID, BridgeSettings.PASSWORD);
    }
}
