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
import org.osgi.service.component.annotations.Modified;
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

    /**
     * Why a replica stopped after a configuration change it could not restart with, by configuration PID, for
     * {@code psr:parts} ({@link ConfiguredParts}): its component stays active (DS does not reactivate a component
     * with a modified method), so DS cannot tell.
     */
    private static final Map<String, String> RESTART_FAILURES = new java.util.concurrent.ConcurrentHashMap<>();
    /**
     * The last configuration change refused for a running part, by part name, for {@code psr:parts} and {@code psr:status}:
     * the part runs on with its previous configuration, which an operator who edited the file would not expect.
     * Cleared when a later change is taken, and when the part stops.
     */
    private static final Map<String, String> REFUSED_CHANGES = new java.util.concurrent.ConcurrentHashMap<>();

    private final BundleContext context;
    private final Transport transport;
    /** The transport's cluster id ({@code psr.cluster}), or null when it does not say. */
    private final String cluster;
    private final EventLoops loops;
    private final DurableStorageProvider storage;
    private final psr.api.osal.Watchdogs watchdogs;
    private final Logger logger;
    private final String pid;
    /** The listeners and tasks bound to this part, handed to each runtime this component starts. */
    private final java.util.List<ChangeListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.List<BoundTask> tasks = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The part's name, from the configuration last started with. */
    private volatile String partName;

    /** A primary task as bound; each runtime gets its own binding (which holds that runtime's schedule). */
    private record BoundTask(String name, PrimaryTask task, int periodMs) {
        PrimaryTasks.Binding binding() {
            return new PrimaryTasks.Binding(name, task, periodMs);
        }
    }
    /** Replaced on a configuration change that needs a restart; null while none runs. Guarded by this. */
    private volatile PartRuntime runtime;
    private ServiceRegistration<PartState> registration;

    @Activate
    public PartComponent(BundleContext context, Map<String, Object> properties,
            @Reference(name = "transport") Map.Entry<Map<String, Object>, Transport> transport,
            @Reference(name = "eventLoops") EventLoops loops,
            @Reference(name = "storage") DurableStorageProvider storage,
            @Reference(name = "watchdogs", cardinality = ReferenceCardinality.OPTIONAL) psr.api.osal.Watchdogs watchdogs,
            @Reference(service = LoggerFactory.class) Logger logger) {
        this.context = context;
        this.transport = transport.getValue();
        Object cluster = transport.getKey().get("psr.cluster");
        this.cluster = cluster == null ? null : String.valueOf(cluster);
        this.loops = loops;
        this.storage = storage;
        this.watchdogs = watchdogs;
        this.logger = logger;
        this.pid = String.valueOf(properties.get("service.pid"));
        PartSettings settings;
        try {
            settings = settings(properties);
        } catch (IllegalArgumentException e) {
            throw new ComponentException("configuration " + pid + ": " + e.getMessage());
        }
        RESTART_FAILURES.remove(pid);
        partName = settings.part();
        try {
            startRuntime(settings);
        } catch (Exception e) {
            throw new ComponentException("part " + settings.part() + ": cannot start: " + e.getMessage(), e);
        }
    }

    private PartSettings settings(Map<String, Object> properties) {
        PartSettings settings = PartSettings.from(properties);
        for (String warning : PartSettings.unknownProperties(properties)) {
            logger.warn("part " + settings.part() + " (configuration " + pid + "): " + warning);
        }
        return settings;
    }

    /** Starts a runtime on {@code settings}, gives it the bound listeners and tasks, registers it. */
    private synchronized void startRuntime(PartSettings settings) throws Exception {
        PartRuntime next = new PartRuntime(settings, transport, loops, storage, new PartRuntime.Log() {
            @Override public void info(String m) { logger.info(m); }
            @Override public void warn(String m) { logger.warn(m); }
            @Override public void error(String m, Throwable t) { logger.error(m, t); }
        });
        next.cluster(cluster);
        try {
            next.start();
            if (watchdogs != null) next.watchWith(watchdogs);
            listeners.forEach(next::addListener);
            for (BoundTask t : tasks) next.addTask(t.binding());
            Dictionary<String, Object> props = new Hashtable<>();
            props.put("psr.part", settings.part());
            props.put("psr.node", settings.node());
            registration = context.registerService(PartState.class, next, props);
        } catch (Exception | Error e) {
            next.stop(); // no replica runs that nobody can reach or stop
            throw e;
        }
        runtime = next;
    }

    /** Unregisters and stops the running runtime, handing the part over first when it is the primary. */
    private synchronized void stopRuntime() {
        PartRuntime current = runtime;
        if (current == null) return;
        try {
            registration.unregister();
        } catch (IllegalStateException e) {
            // already gone with the bundle
        }
        current.handOverBeforeStop(); // a planned stop: a switch-over, not a failover, where a peer can take over
        current.stop();
        runtime = null;
    }

    /**
     * A changed configuration. Request timeout and forwarding are taken over by the running replica; any other change
     * stops the replica (handing the part over if it leads) and starts it again on the new values, from its disk, as a
     * restart would. A configuration with a bad value is refused and the replica goes on with the one it has.
     */
    @Modified
    void modified(Map<String, Object> properties) {
        PartRuntime current = runtime;
        PartSettings updated;
        try {
            updated = settings(properties);
        } catch (IllegalArgumentException e) {
            logger.error("configuration " + pid + " rejected: " + e.getMessage() + "; "
                    + (current != null ? "part " + current.part() + " goes on with its previous configuration" : "the part stays stopped"));
            if (current != null) REFUSED_CHANGES.put(current.part(), e.getMessage());
            return;
        }
        String who = "part " + updated.part() + " node " + updated.node();
        if (current == null) {
            restart(updated, who + ": configuration changed; starting the replica that was stopped");
            return;
        }
        PartSettings before = current.settings();
        java.util.List<String> changed = PartSettings.changedProperties(before, updated);
        if (changed.isEmpty()) {
            REFUSED_CHANGES.remove(before.part()); // the file is back to what runs
            return;
        }
        if (changed.contains("part") || changed.contains("node")) {
            // Another part or node is another replica: its listeners and tasks are other services, its storage another
            // directory. DS does not rebind for a modified configuration, so say what to do instead.
            logger.error("configuration " + pid + " rejected: part " + before.part() + " node " + before.node() + " cannot become part "
                    + updated.part() + " node " + updated.node() + " in place; create a new configuration for it (and delete this one)."
                    + " The replica goes on with its previous configuration");
            REFUSED_CHANGES.put(before.part(), "part " + before.part() + " node " + before.node() + " cannot become part " + updated.part()
                    + " node " + updated.node() + " in place; create a new configuration for it");
            return;
        }
        REFUSED_CHANGES.remove(before.part());
        if (PartSettings.APPLIED_WITHOUT_RESTART.containsAll(changed)) {
            current.applyWithoutRestart(updated);
            logger.info(who + ": configuration applied without a restart: " + describe(changed, before, updated));
            return;
        }
        restart(updated, who + ": configuration changed (" + String.join(", ", changed) + "); restarting the replica from its disk");
    }

    private synchronized void restart(PartSettings updated, String why) {
        logger.info(why);
        stopRuntime();
        partName = updated.part();
        try {
            startRuntime(updated);
            RESTART_FAILURES.remove(pid);
            logger.info("part " + updated.part() + " node " + updated.node() + ": configuration applied; the replica runs again");
        } catch (Exception e) {
            String reason = "restart after a configuration change failed: " + e.getMessage();
            RESTART_FAILURES.put(pid, reason);
            logger.error("part " + updated.part() + " node " + updated.node() + ": " + reason + "; the replica is stopped until its configuration is fixed", e);
        }
    }

    private static String describe(java.util.List<String> changed, PartSettings before, PartSettings after) {
        StringBuilder b = new StringBuilder();
        for (String name : changed) {
            if (b.length() > 0) b.append(", ");
            b.append(name).append(' ').append(name.equals("forward.writes") ? before.forwardWrites() : before.requestTimeoutMs())
                    .append(" -> ").append(name.equals("forward.writes") ? after.forwardWrites() : after.requestTimeoutMs());
        }
        return b.toString();
    }

    /** The last configuration change refused for running part {@code part}, or null. */
    static String refusedChange(String part) {
        return REFUSED_CHANGES.get(part);
    }

    static void refusedChange(String part, String reason) {
        if (reason == null) REFUSED_CHANGES.remove(part); else REFUSED_CHANGES.put(part, reason);
    }

    /** Why the part of configuration {@code pid} does not run although its component is active, or null. */
    static String restartFailure(String pid) {
        return RESTART_FAILURES.get(pid);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    // Bind methods filter before they lock: DS calls them on every part's component, and a component restarting its
    // replica holds its lock while services come and go.
    void addChangeListener(ChangeListener listener, Map<String, Object> properties) {
        if (!forThisPart(properties)) return;
        synchronized (this) {
            listeners.add(listener);
            if (runtime != null) runtime.addListener(listener);
        }
    }

    void removeChangeListener(ChangeListener listener) {
        if (!listeners.contains(listener)) return;
        synchronized (this) {
            listeners.remove(listener);
            if (runtime != null) runtime.removeListener(listener);
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPrimaryTask(PrimaryTask task, Map<String, Object> properties) {
        if (!forThisPart(properties)) return;
        synchronized (this) {
            bindTask(task, properties);
        }
    }

    private void bindTask(PrimaryTask task, Map<String, Object> properties) {
        try {
            Object period = properties.get("psr.task.period.ms");
            int periodMs = period instanceof Number n ? n.intValue() : Integer.parseInt(String.valueOf(period).trim());
            BoundTask bound = new BoundTask(String.valueOf(properties.get("psr.task")), task, periodMs);
            PrimaryTasks.Binding binding = bound.binding(); // checks name and period
            tasks.add(bound);
            if (runtime != null) runtime.addTask(binding);
        } catch (IllegalArgumentException e) {
            logger.error("part " + part() + ": primary task ignored: " + e.getMessage()
                    + (e instanceof NumberFormatException ? " (psr.task.period.ms must be an integer)" : ""));
        }
    }

    void removePrimaryTask(PrimaryTask task) {
        if (tasks.stream().noneMatch(t -> t.task() == task)) return;
        synchronized (this) {
            tasks.removeIf(t -> t.task() == task);
            if (runtime != null) runtime.removeTask(task);
        }
    }

    private String part() {
        return partName;
    }

    private boolean forThisPart(Map<String, Object> properties) {
        String part = partName;
        return part != null && part.equals(String.valueOf(properties.get("psr.part")));
    }

    @Deactivate
    void deactivate() {
        String part = partName;
        stopRuntime();
        RESTART_FAILURES.remove(pid);
        if (part != null) REFUSED_CHANGES.remove(part);
    }
}
