package psr.consensus.part;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import psr.consensus.core.ReplicaConfig;
import psr.settings.Defaults;
import psr.settings.SettingsReader;

/**
 * A part's configuration, checked. Built from the component's configuration properties by the settings checker every
 * PSR component uses ({@link SettingsReader}: one reading of integers, booleans, choices and lists), with the defaults
 * of the part's metatype ({@link PartComponent.Config}); every error names the property, the value and what is allowed.
 */
public record PartSettings(String part, int node, List<Integer> replicas, Durability durability, StartMode startMode,
        String storageDirectory, int tickMs, int heartbeatMs, int connectivityWindowMs, int electionTimeoutMs,
        int viewChangeTimeoutMs, int requestTimeoutMs, boolean forwardWrites, int clientTableCapacity, int priority,
        int checkpointIntervalOps) {

    public enum Durability { DURABLE, DISKLESS }

    /**
     * What a replica does when it finds no state: {@code AUTO} starts a new group in durable mode and
     * recovers from peers in diskless mode; {@code NEW_GROUP} always starts a new group (the first start of a
     * diskless group); {@code RECOVER} always recovers from peers (a replacement controller).
     */
    public enum StartMode { AUTO, NEW_GROUP, RECOVER }

    /**
     * Thrown with a message naming the property, its value and what is allowed: the shared checker's refusal
     * ({@link psr.settings.BadSetting}) under the part's own type, which its callers catch.
     */
    public static final class BadSetting extends psr.settings.BadSetting {
        private static final long serialVersionUID = 1L;

        BadSetting(String property, Object value, String allowed) {
            super(property, value, "expected " + allowed);
        }

        BadSetting(psr.settings.BadSetting refusal) {
            super(refusal);
        }
    }

    /** The properties {@link #from} reads, as a user writes them in {@code psr.part-<name>.cfg}. */
    static final List<String> PROPERTIES = List.of("part", "node", "replicas", "durability", "start.mode", "storage.directory",
            "tick.ms", "heartbeat.ms", "connectivity.window.ms", "election.timeout.ms", "view.change.timeout.ms",
            "request.timeout.ms", "forward.writes", "client.table.capacity", "priority", "checkpoint.interval.ops",
            "transport.target");

    /** What a running replica takes over without a restart ({@code @Modified}): they only decide how it serves requests. */
    public static final List<String> APPLIED_WITHOUT_RESTART = List.of("request.timeout.ms", "forward.writes");

    /**
     * The properties whose values differ between two settings of one replica, as the user writes them, in
     * {@link #PROPERTIES} order. The record's components are those properties in the same order (checked by a test).
     */
    public static List<String> changedProperties(PartSettings before, PartSettings after) {
        List<String> changed = new ArrayList<>();
        java.lang.reflect.RecordComponent[] components = PartSettings.class.getRecordComponents();
        for (int i = 0; i < components.length; i++) {
            try {
                Object a = components[i].getAccessor().invoke(before);
                Object b = components[i].getAccessor().invoke(after);
                if (!a.equals(b)) changed.add(PROPERTIES.get(i));
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot compare " + components[i].getName(), e);
            }
        }
        return changed;
    }

    /**
     * One warning per property of {@code p} that no part reads (a misspelt one would otherwise be ignored silently),
     * naming the closest known property. Properties of the framework (ConfigAdmin, DS, FileInstall, references'
     * {@code .target}) and private ones (a leading dot) are not the user's and are skipped.
     */
    public static List<String> unknownProperties(Map<String, ?> p) {
        List<String> warnings = new ArrayList<>();
        for (String name : new java.util.TreeSet<>(p.keySet())) {
            if (PROPERTIES.contains(name) || name.startsWith(".") || name.startsWith("service.") || name.startsWith("component.")
                    || name.startsWith("felix.") || name.startsWith("osgi.") || name.endsWith(".target")) {
                continue;
            }
            warnings.add("property " + name + " is not a part property and is ignored; did you mean " + closest(name) + "?");
        }
        return warnings;
    }

    /** The known property nearest to {@code name} by edit distance. */
    private static String closest(String name) {
        String best = PROPERTIES.get(0);
        int bestDistance = Integer.MAX_VALUE;
        for (String known : PROPERTIES) {
            int d = editDistance(name, known);
            if (d < bestDistance) {
                best = known;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) previous[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j] + 1, current[j - 1] + 1));
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    /** The part's defaults: those of its metatype ({@link PartComponent.Config}), the only place they are written. */
    private static final Defaults DEFAULTS = Defaults.of(PartComponent.Config.class);

    public static PartSettings from(Map<String, ?> properties) {
        try {
            return read(new SettingsReader(properties, DEFAULTS));
        } catch (BadSetting e) {
            throw e;
        } catch (psr.settings.BadSetting e) {
            throw new BadSetting(e); // callers catch the part's own type
        }
    }

    private static PartSettings read(SettingsReader p) {
        String part = p.text("part");
        if (!part.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new BadSetting("part", p.written("part"), "1 to 64 characters from A-Z a-z 0-9 . - _");
        }
        int node = p.integer("node", 0, 65535);
        List<Integer> replicas = nodes(p, "replicas");
        if (!replicas.contains(node)) throw new BadSetting("replicas", p.written("replicas"), "a list that contains this node (" + node + ")");
        Durability durability = p.choice("durability", Durability.class);
        StartMode startMode = p.choice("start.mode", StartMode.class);
        String storage = p.text("storage.directory");
        if (durability == Durability.DURABLE && storage.isBlank()) {
            throw new BadSetting("storage.directory", p.written("storage.directory"),
                    "the absolute path of the part's storage directory (required in durable mode)");
        }
        int tick = p.integer("tick.ms", 1, 1000);
        int heartbeat = p.integer("heartbeat.ms", tick, 60_000);
        int window = p.integer("connectivity.window.ms", 2 * heartbeat, 600_000);
        int election = p.integer("election.timeout.ms", window + tick, 600_000);
        int viewChange = p.integer("view.change.timeout.ms", heartbeat, 600_000);
        // The core counts in whole ticks: the same rules again after rounding up, said in the properties' terms.
        int heartbeatTicks = ceilDiv(heartbeat, tick);
        if (ceilDiv(window, tick) < 2 * heartbeatTicks) {
            throw new BadSetting("connectivity.window.ms", window, "at least " + 2 * heartbeatTicks * tick + " (twice heartbeat.ms = "
                    + heartbeat + " rounded up to whole ticks of tick.ms = " + tick + ")");
        }
        // (election.timeout.ms >= connectivity.window.ms + tick.ms already makes it more ticks than the window.)
        int request = p.integer("request.timeout.ms", 10, 3_600_000);
        boolean forward = p.bool("forward.writes");
        int clients = p.integer("client.table.capacity", 16, 1_000_000);
        int priority = p.integer("priority", 0, 255);
        int checkpoint = p.integer("checkpoint.interval.ops", 0, 100_000_000);
        return new PartSettings(part, node, List.copyOf(replicas), durability, startMode, storage, tick, heartbeat,
                window, election, viewChange, request, forward, clients, priority, checkpoint);
    }

    /** The replica core's configuration: times become ticks. */
    public ReplicaConfig replicaConfig() {
        return new ReplicaConfig(replicas.size(), replicas.indexOf(node), ticks(heartbeatMs), ticks(connectivityWindowMs),
                ticks(electionTimeoutMs), ticks(viewChangeTimeoutMs), ticks(Math.max(heartbeatMs * 4, tickMs)),
                clientTableCapacity, checkpointIntervalOps, 512 * 1024);
    }

    public int ticks(int ms) {
        return Math.max(1, ceilDiv(ms, tickMs));
    }

    private static int ceilDiv(int ms, int tick) {
        return (ms + tick - 1) / tick;
    }

    public int indexOf(int nodeId) {
        return replicas.indexOf(nodeId);
    }

    private static List<Integer> nodes(SettingsReader p, String name) {
        List<Integer> out = new ArrayList<>();
        String allowed = "1 to 9 distinct node ids (0 to 65535), comma-separated, the same list in the same order on every node";
        for (String s : p.list(name)) {
            int id;
            try {
                id = Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw new BadSetting(name, p.written(name), allowed);
            }
            if (id < 0 || id > 65535 || out.contains(id)) throw new BadSetting(name, p.written(name), allowed);
            out.add(id);
        }
        if (out.isEmpty() || out.size() > 9) throw new BadSetting(name, p.written(name), allowed);
        return out;
    }
}
