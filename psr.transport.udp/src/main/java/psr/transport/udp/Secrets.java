package psr.transport.udp;

import psr.settings.secrets.SecretsPlugin;

/**
 * The bundle's activator: registers the ConfigurationAdmin plugin that takes inline {@value Settings#KEYS} out of the
 * transport's configuration before SCR sees it, so {@code scr:info psr.transport.udp} and the SCR DTOs never show the
 * cluster key; {@link UdpTransportComponent} gets them back for its parser. Being the activator, it is registered
 * before SCR reads this bundle's component and its configuration.
 */
public final class Secrets extends SecretsPlugin {
    public Secrets() {
        super(UdpTransportComponent.PID, Settings.KEYS);
    }
}
