package psr.bridge.mqtt;

import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;

import org.osgi.service.component.ComponentException;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

import psr.api.state.PartState;

/**
 * One MQTT bridge per factory configuration of {@value #PID}: publishes the parts this node has replicas of (all, or
 * those listed) while it is their serving primary. A bad value leaves the bridge inactive with one error naming the
 * property, its value and what is allowed, and no service (this class registers itself, for {@code psr:mqtt}, only once
 * the configuration is good: SCR would leave a declared service registered while activation failed). Deactivation (configuration removed, bundle stopped or updated) says
 * {@code offline} on the node's status topic and disconnects.
 */
@Component(name = BridgeComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {}, immediate = true)
@Designate(ocd = BridgeComponent.Config.class, factory = true)
public final class BridgeComponent {
    public static final String PID = "psr.bridge.mqtt";

    @ObjectClassDefinition(name = "PSR MQTT bridge", description = "Publishes committed state of this node's parts to an MQTT broker while this node is their serving primary")
    public @interface Config {
        @AttributeDefinition(name = "Cluster", description = "The cluster's name, 1 to 64 of A-Z a-z 0-9 . - _; part of the default prefix and client id")
        String cluster() default "main";

        @AttributeDefinition(name = "This node", description = "This node's id (0 to 65535): names $nodes/<node> and is the node in $primary")
        int node();

        @AttributeDefinition(name = "Parts", description = "* for every part this node has a replica of, or part names separated by commas")
        String parts() default "*";

        @AttributeDefinition(name = "Broker URIs", description = "tcp://host:port or ssl://host:port, separated by commas, tried in turn")
        String broker_uris();

        @AttributeDefinition(name = "Mode", description = "plain: a retained JSON message per key; sparkplug: each part is a Sparkplug B edge node",
                options = {@Option(label = "plain", value = "plain"), @Option(label = "sparkplug", value = "sparkplug")})
        String mode() default "plain";

        @AttributeDefinition(name = "Sparkplug group id", description = "Sparkplug B group id; default the cluster", required = false)
        String sparkplug_group_id();

        @AttributeDefinition(name = "Sparkplug primary host id", description = "When set, each edge node waits for this host application's STATE online before NBIRTH, and ends its session when it goes offline", required = false)
        String sparkplug_primary_host_id();

        @AttributeDefinition(name = "Sparkplug devices", description = "First key levels that are devices (pump1/speed: device pump1, metric speed), separated by commas; other keys are node metrics", required = false)
        String sparkplug_devices();

        @AttributeDefinition(name = "Topic prefix", description = "Topics are <prefix>/<part>/<key>; default psr/<cluster>", required = false)
        String prefix();

        @AttributeDefinition(name = "Client id", description = "MQTT client id, 1 to 64 of A-Z a-z 0-9 . - _; default psr-<cluster>-<node>", required = false)
        String client_id();

        @AttributeDefinition(name = "QoS", description = "QoS of value messages: 0, 1 or 2 (lifecycle messages always use 1)", options = {
                @Option(label = "0", value = "0"), @Option(label = "1", value = "1"), @Option(label = "2", value = "2")})
        int qos() default 1;

        @AttributeDefinition(name = "User name", required = false)
        String username();

        @AttributeDefinition(name = "Password", type = AttributeType.PASSWORD, required = false)
        String _password();

        @AttributeDefinition(name = "TLS CA file", description = "PEM file of the CA certificates to trust for ssl:// brokers (default: the JVM's trust store)", required = false)
        String tls_ca_file();

        @AttributeDefinition(name = "TLS client certificate", description = "PEM file of this client's certificate chain (with tls.key.file)", required = false)
        String tls_cert_file();

        @AttributeDefinition(name = "TLS client key", description = "PEM file of the client certificate's unencrypted PKCS#8 key; keep it readable by the PSR user only", required = false)
        String tls_key_file();

        @AttributeDefinition(name = "TLS host name check", description = "Check that the broker's certificate names the host of its URI")
        boolean tls_hostname_check() default true;

        @AttributeDefinition(name = "Keep-alive (s)", description = "1 to 3600")
        int keepalive_s() default 10;

        @AttributeDefinition(name = "Connect timeout (ms)")
        int connect_timeout_ms() default 3000;

        @AttributeDefinition(name = "Publish timeout (ms)", description = "A publication not acknowledged within this counts as a lost connection")
        int publish_timeout_ms() default 5000;

        @AttributeDefinition(name = "Reconnect back-off, first (ms)")
        int reconnect_initial_ms() default 100;

        @AttributeDefinition(name = "Reconnect back-off, most (ms)")
        int reconnect_max_ms() default 1000;

        @AttributeDefinition(name = "Queue capacity", description = "Topics of one part waiting for the broker; beyond it the bridge republishes the whole state instead")
        int queue_capacity() default 10000;

        @AttributeDefinition(name = "Unacknowledged publications", description = "How many publications may wait for the broker's acknowledgement, 1 to 60000")
        int inflight_max() default 100;

        @AttributeDefinition(name = "Republish rate (messages/s)", description = "How fast the whole state is republished after becoming primary or reconnecting")
        int republish_rate() default 5000;

        @AttributeDefinition(name = "Sync timeout (ms)", description = "How long a republish waits to learn which keys the broker retains")
        int sync_timeout_ms() default 2000;

        @AttributeDefinition(name = "Commands enabled", description = "Accept <prefix>/<part>/<key>/set for keys on the allow-list")
        boolean commands_enabled() default false;

        @AttributeDefinition(name = "Command allow-list", description = "Keys, or key prefixes ending in *, separated by commas", required = false)
        String commands_allow();

        @AttributeDefinition(name = "Command size limit (bytes)")
        int commands_max_bytes() default 1024;
    }

    private final BridgeRuntime bridge;
    private final ServiceRegistration<BridgeComponent> registration;

    @Activate
    public BridgeComponent(BundleContext context, Map<String, Object> properties, @Reference(service = LoggerFactory.class) Logger logger) {
        BridgeSettings settings;
        try {
            // The password was taken out of the component's properties by the bundle's SecretsPlugin: put back for the
            // parser only, never shown.
            settings = BridgeSettings.from(psr.settings.secrets.SecretsPlugin.restore(properties));
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ComponentException("configuration " + properties.get("service.pid") + ": " + e.getMessage());
        }
        BridgeLog log = new BridgeLog() {
            @Override public void info(String m) { logger.info(m); }
            @Override public void warn(String m) { logger.warn(m); }
            @Override public void error(String m, Throwable t) { logger.error(m, t); }
        };
        bridge = settings.sparkplug ? new SparkplugBridge(settings, log) : new Bridge(settings, log);
        bridge.start();
        logger.info("MQTT bridge started: " + settings);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("psr.bridge", settings.clientId);
        registration = context.registerService(BridgeComponent.class, this, props);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    void addPart(PartState part) {
        bridge.addPart(part);
    }

    void removePart(PartState part) {
        bridge.removePart(part);
    }

    BridgeRuntime bridge() {
        return bridge;
    }

    @Deactivate
    void deactivate() {
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // already gone with the bundle
        }
        bridge.stop();
    }
}
