package psr.consensus.part;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import psr.consensus.core.ReplicaConfig;

/**
 * A part's configuration, checked. Built from the component's configuration properties; every error
 * names the property, the value and what is allowed.
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

    /** Thrown with a message naming the property, its value and what is allowed. */
    public static final class BadSetting extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        BadSetting(String property, Object value, String allowed) {
            super("property " + property + " = '" + value + "' is not allowed: expected " + allowed);
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

    public static PartSettings from(Map<String, ?> p) {
        String part = string(p, "part", null);
        if (part == null || !part.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new BadSetting("part", part, "1 to 64 characters from A-Z a-z 0-9 . - _");
        }
        int node = integer(p, "node", Integer.MIN_VALUE, 0, 65535);
        List<Integer> replicas = nodes(p, "replicas");
        if (!replicas.contains(node)) throw new BadSetting("replicas", p.get("replicas"), "a list that contains this node (" + node + ")");
        Durability durability = choice(p, "durability", Durability.DURABLE, Durability.class);
        StartMode startMode = choice(p, "start.mode", StartMode.AUTO, StartMode.class);
        String storage = string(p, "storage.directory", "");
        if (durability == Durability.DURABLE && storage.isBlank()) {
            throw new BadSetting("storage.directory", storage, "the absolute path of the part's storage directory (required in durable mode)");
        }
        int tick = integer(p, "tick.ms", 10, 1, 1000);
        int heartbeat = integer(p, "heartbeat.ms", 50, tick, 60_000);
        int window = integer(p, "connectivity.window.ms", 150, 2 * heartbeat, 600_000);
        int election = integer(p, "election.timeout.ms", 500, window + tick, 600_000);
        int viewChange = integer(p, "view.change.timeout.ms", 500, heartbeat, 600_000);
        // The core counts in whole ticks: the same rules again after rounding up, said in the properties' terms.
        int heartbeatTicks = ceilDiv(heartbeat, tick);
        if (ceilDiv(window, tick) < 2 * heartbeatTicks) {
            throw new BadSetting("connectivity.window.ms", window, "at least " + 2 * heartbeatTicks * tick + " (twice heartbeat.ms = "
                    + heartbeat + " rounded up to whole ticks of tick.ms = " + tick + ")");
        }
        // (election.timeout.ms >= connectivity.window.ms + tick.ms already makes it more ticks than the window.)
        int request = integer(p, "request.timeout.ms", 5000, 10, 3_600_000);
        boolean forward = bool(p, "forward.writes", true);
        int clients = integer(p, "client.table.capacity", 4096, 16, 1_000_000);
        int priority = integer(p, "priority", 60, 0, 255);
        int checkpoint = integer(p, "checkpoint.interval.ops", 10_000, 0, 100_000_000);
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

    private static String string(Map<String, ?> p, String name, String dflt) {
        Object v = p.get(name);
        if (v == null) return dflt;
        if (v instanceof String[] a && a.length == 1) return a[0].trim();
        return String.valueOf(v).trim();
    }

    private static int integer(Map<String, ?> p, String name, int dflt, int min, int max) {
        Object v = p.get(name);
        String range = min + " to " + max;
        if (v == null) {
            if (dflt == Integer.MIN_VALUE) throw new BadSetting(name, null, "an integer from " + range + " (required)");
            return dflt;
        }
        long value;
        if (v instanceof Number n) {
            value = n.longValue();
        } else {
            try {
                value = Long.parseLong(String.valueOf(v).trim());
            } catch (NumberFormatException e) {
                throw new BadSetting(name, v, "an integer from " + range);
            }
        }
        if (value < min || value > max) throw new BadSetting(name, v, "an integer from " + range);
        return (int) value;
    }

    private static boolean bool(Map<String, ?> p, String name, boolean dflt) {
        Object v = p.get(name);
        if (v == null) return dflt;
        if (v instanceof Boolean b) return b;
        String s = String.valueOf(v).trim();
        if (s.equalsIgnoreCase("true")) return true;
        if (s.equalsIgnoreCase("false")) return false;
        throw new BadSetting(name, v, "true or false");
    }

    private static <E extends Enum<E>> E choice(Map<String, ?> p, String name, E dflt, Class<E> type) {
        Object v = p.get(name);
        if (v == null) return dflt;
        String s = String.valueOf(v).trim().toUpperCase().replace('-', '_');
        for (E e : type.getEnumConstants()) if (e.name().equals(s)) return e;
        List<String> allowed = new ArrayList<>();
        for (E e : type.getEnumConstants()) allowed.add(e.name().toLowerCase().replace('_', '-'));
        throw new BadSetting(name, v, "one of " + String.join(", ", allowed));
    }

    private static List<Integer> nodes(Map<String, ?> p, String name) {
        Object v = p.get(name);
        List<String> items = new ArrayList<>();
        if (v instanceof String[] a) {
            for (String s : a) items.addAll(Arrays.asList(s.split(",")));
        } else if (v instanceof Iterable<?> it) {
            for (Object o : it) items.add(String.valueOf(o));
        } else if (v != null) {
            items.addAll(Arrays.asList(String.valueOf(v).split(",")));
        }
        List<Integer> out = new ArrayList<>();
        String allowed = "1 to 9 distinct node ids (0 to 65535), comma-separated, the same list in the same order on every node";
        for (String s : items) {
            if (s.isBlank()) continue;
            try {
                int id = Integer.parseInt(s.trim());
                if (id < 0 || id > 65535 || out.contains(id)) throw new BadSetting(name, v, allowed);
                out.add(id);
            } catch (NumberFormatException e) {
                throw new BadSetting(name, v instanceof String[] a ? String.join(",", a) : v, allowed);
            }
        }
        if (out.isEmpty() || out.size() > 9) throw new BadSetting(name, v, allowed);
        return out;
    }
}
