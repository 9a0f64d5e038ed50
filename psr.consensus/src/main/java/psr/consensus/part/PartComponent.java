package psr.consensus.part;

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
import org.osgi.service.log.Logger;
import org.osgi.service.log.LoggerFactory;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

import psr.api.osal.DurableStorageProvider;
import psr.api.osal.EventLoops;
import psr.api.state.ChangeListener;
import psr.api.state.PartState;
import psr.api.state.PrimaryTask;
import psr.api.transport.Transport;

/**
 * One replica of one part per factory configuration of {@value #PID}: runs a {@link PartRuntime} and
 * registers it as {@link PartState} with {@code psr.part=<name>} and {@code psr.node=<id>}.
 *
 * <p>The transport, event loops and storage are static references: when one of them goes away (its bundle
 * is stopped or replaced) the replica stops and starts again on the replacement, from its durable state,
 * and rejoins its group. The service is registered by this class only once the configuration has been
 * checked and the replica started, so a bad configuration leaves no service behind, only one error naming
 * the property, its value and what is allowed.
 */
// PartState is registered by hand (after the replica started), so DS does not declare it: say it, for resolvers and for
// bundles that require the service (bnd generates such requirements from @Reference).
@org.osgi.annotation.bundle.Capability(namespace = "osgi.service", attribute = "objectClass:List<String>=psr.api.state.PartState",
        uses = PartState.class)
@Component(name = PartComponent.PID, configurationPolicy = ConfigurationPolicy.REQUIRE, service = {}, immediate = true)
@Designate(ocd = PartComponent.Config.class, factory = true)
public final class PartComponent {

    public static final String PID = "psr.part";

    @ObjectClassDefinition(name = "PSR part replica",
            description = "One replica of one part of the replicated state. Create one configuration per part on each node; "
                    + "every node of the part lists the same replicas in the same order.")
    public @interface Config {
        @AttributeDefinition(name = "Part", description = "The part's name: 1 to 64 characters from A-Z a-z 0-9 . - _")
        String part();

        @AttributeDefinition(name = "This node", description = "This node's id (0 to 65535), as the transport knows it")
        int node();

        @AttributeDefinition(name = "Replicas", description = "The part's replicas as node ids, comma-separated, 1 to 9 (3 or 5 usual); the same list in the same order on every node")
        String replicas();

        @AttributeDefinition(name = "Durability", description = "durable: log and view state on disk (default); diskless: memory only, restarts recover from peers",
                options = {@Option(label = "durable", value = "durable"), @Option(label = "diskless", value = "diskless")})
        String durability() default "durable";

        @AttributeDefinition(name = "Start mode", description = "auto: empty storage starts a new group (durable) or recovers (diskless); new-group: start a new group; recover: take the state from the other replicas (replacement controller)",
                options = {@Option(label = "auto", value = "auto"), @Option(label = "new-group", value = "new-group"), @Option(label = "recover", value = "recover")})
        String start_mode() default "auto";

        @AttributeDefinition(name = "Storage directory", description = "Absolute path of this part's storage directory (durable mode)", required = false)
        String storage_directory() default "";

        @AttributeDefinition(name = "Tick (ms)", description = "The replica's clock tick, 1 to 1000 ms")
        int tick_ms() default 10;

        @AttributeDefinition(name = "Heartbeat (ms)", description = "Pings and idle commits; at least one tick")
        int heartbeat_ms() default 50;

        @AttributeDefinition(name = "Connectivity window (ms)", description = "A peer counts as connected while a ping round trip completed within this; at least 2 heartbeats")
        int connectivity_window_ms() default 150;

        @AttributeDefinition(name = "Election timeout (ms)", description = "A backup that has not heard its primary this long campaigns (plus a random back-off up to the same again); a primary not quorum-connected this long abdicates. More than the connectivity window")
        int election_timeout_ms() default 500;

        @AttributeDefinition(name = "View change timeout (ms)", description = "A view change not completed in this long is retried")
        int view_change_timeout_ms() default 500;

        @AttributeDefinition(name = "Request timeout (ms)", description = "How long a write or linearizable read may wait for its answer")
        int request_timeout_ms() default 5000;

        @AttributeDefinition(name = "Forward writes", description = "true: a write made at a backup is forwarded to the primary; false: it fails at once with NotPrimary naming the primary")
        boolean forward_writes() default true;

        @AttributeDefinition(name = "Client table capacity", description = "Client sessions remembered for at-most-once execution, 16 to 1000000")
        int client_table_capacity() default 4096;

        @AttributeDefinition(name = "Priority", description = "PSR priority of the replica's event loop, 0 (most urgent) to 255")
        int priority() default 60;

        @AttributeDefinition(name = "Checkpoint interval (operations)", description = "Take a checkpoint and drop the log below it every this many operations (0: never)")
        int checkpoint_interval_ops() default 10000;

        @AttributeDefinition(name = "Transport filter", description = "Which transport to use, e.g. (psr.node=1)", required = false)
        String transport_target() default "";
    }

    private final PartRuntime runtime;
    private final ServiceRegistration<PartState> registration;
    private final Logger logger;

    @Activate
    public PartComponent(BundleContext context, Map<String, Object> properties,
            @Reference(name = "transport") Transport transport,
            @Reference(name = "eventLoops") EventLoops loops,
            @Reference(name = "storage") DurableStorageProvider storage,
            @Reference(name = "watchdogs", cardinality = ReferenceCardinality.OPTIONAL) psr.api.osal.Watchdogs watchdogs,
            @Reference(service = LoggerFactory.class) Logger logger) {
        this.logger = logger;
        PartSettings settings;
        try {
            settings = PartSettings.from(properties);
        } catch (IllegalArgumentException e) {
            String pid = String.valueOf(properties.get("service.pid"));
            throw new ComponentException("configuration " + pid + ": " + e.getMessage());
        }
        for (String warning : PartSettings.unknownProperties(properties)) {
            logger.warn("part " + settings.part() + " (configuration " + properties.get("service.pid") + "): " + warning);
        }
        runtime = new PartRuntime(settings, transport, loops, storage, new PartRuntime.Log() {
            @Override public void info(String m) { logger.info(m); }
            @Override public void warn(String m) { logger.warn(m); }
            @Override public void error(String m, Throwable t) { logger.error(m, t); }
        });
        try {
            runtime.start();
        } catch (Exception e) {
            runtime.stop();
            throw new ComponentException("part " + settings.part() + ": cannot start: " + e.getMessage(), e);
        }
        if (watchdogs != null) runtime.watchWith(watchdogs);
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("psr.part", settings.part());
        props.put("psr.node", settings.node());
        registration = context.registerService(PartState.class, runtime, props);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addChangeListener(ChangeListener listener, Map<String, Object> properties) {
        if (forThisPart(properties)) runtime.addListener(listener);
    }

    void removeChangeListener(ChangeListener listener) {
        runtime.removeListener(listener);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPrimaryTask(PrimaryTask task, Map<String, Object> properties) {
        if (!forThisPart(properties)) return;
        try {
            Object period = properties.get("psr.task.period.ms");
            int periodMs = period instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(period).trim());
            runtime.addTask(new PartRuntime.TaskBinding(String.valueOf(properties.get("psr.task")), task, periodMs));
        } catch (IllegalArgumentException e) {
            logger.error("part " + runtime.part() + ": primary task ignored: " + e.getMessage()
                    + (e instanceof NumberFormatException ? " (psr.task.period.ms must be an integer)" : ""));
        }
    }

    void removePrimaryTask(PrimaryTask task) {
        runtime.removeTask(task);
    }

    private boolean forThisPart(Map<String, Object> properties) {
        return runtime != null && runtime.part().equals(String.valueOf(properties.get("psr.part")));
    }

    @Deactivate
    void deactivate() {
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // already gone with the bundle
        }
        runtime.handOverBeforeStop(); // a planned stop: a switch-over, not a failover, where a peer can take over
        runtime.stop();
    }
}
