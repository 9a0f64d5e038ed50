package psr.demo;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the demo knows of the plant, from two sources: what a plain MQTT subscriber sees of the committed state (the
 * plant network's view: values, who publishes each part, which controllers are online) and what each controller says of
 * its replicas ({@code psr:status}). Thread-safe: MQTT, the status poller, the screen and the web page all use it.
 *
 * <p>It also keeps the tank's trend: one sample per control cycle seen on MQTT (a cycle is the group of values
 * published with one op-number), and the markers of failovers and operator actions, for the last {@link #TREND_MS}.
 */
final class PlantView {
    static final long TREND_MS = 10 * 60_000;
    /** The level the example application holds while the part has no {@code setpoint} key (its configured default). */
    static final double DEFAULT_SETPOINT = 1.5;
    static final String CYCLE_KEY = "$task/tank-control/cycle";

    /** One committed value as the bridge published it: its JSON text, type, op-number, view and source timestamp. */
    record Reading(String value, String type, long op, long view, long ts) {}

    /** A replica of a part on one controller, as that controller's {@code psr:status -1} says. */
    record ReplicaLine(String role, long view, int primary, boolean quorumConnected, long commit, String peers, String refusal) {}

    /** One control cycle of the tank, as the subscriber saw it. */
    record Sample(long time, long cycle, double level, double valve, boolean pump, double setpoint) {}

    /** A moment worth marking on the trend: a failover, a kill, a restart, a transfer; {@code label} is its short form. */
    record Marker(long time, String text, String label, boolean failover) {}

    private final Map<String, Map<String, Reading>> values = new TreeMap<>();
    private final Map<String, Reading> primaries = new TreeMap<>();
    private final Map<Integer, String> nodesOnline = new TreeMap<>();
    private final Map<Integer, Map<String, ReplicaLine>> replicas = new TreeMap<>();
    private final Map<Integer, String> controllerStates = new TreeMap<>();
    private final Map<String, Long> lastCommit = new LinkedHashMap<>();
    private final Map<String, Long> lastCommitAt = new LinkedHashMap<>();
    private final Map<String, Double> commitRates = new LinkedHashMap<>();
    private final Deque<Sample> trend = new ArrayDeque<>();
    private final Deque<Marker> markers = new ArrayDeque<>();
    private final Deque<String> events = new ArrayDeque<>();
    private final Map<String, Long> switchOvers = new TreeMap<>();
    private boolean subscriberConnected;
    private long tankOp = -1;
    private boolean tankCycleInGroup;

    // ---- from the MQTT subscriber

    synchronized void subscriberConnected(boolean connected) {
        if (connected != subscriberConnected) event(connected ? "MQTT subscriber connected" : "MQTT subscriber lost the broker");
        subscriberConnected = connected;
    }

    synchronized boolean subscriberConnected() {
        return subscriberConnected;
    }

    /** A value of {@code part} (null reading: the key was deleted). */
    synchronized void value(String part, String key, Reading reading, long now) {
        if (part.equals("tank") && reading != null) {
            if (reading.op() > tankOp) {
                // A new op-number: the previous group (one committed cycle) is complete.
                if (tankCycleInGroup) sample(now);
                tankOp = reading.op();
                tankCycleInGroup = false;
            }
            if (key.equals(CYCLE_KEY)) tankCycleInGroup = true;
        }
        Map<String, Reading> keys = values.computeIfAbsent(part, p -> new TreeMap<>());
        if (reading == null) keys.remove(key);
        else keys.put(key, reading);
    }

    private void sample(long now) {
        Map<String, Reading> tank = values.getOrDefault("tank", Map.of());
        Reading level = tank.get("level");
        long time = level != null && level.ts() > 0 ? level.ts() : now;
        trend.addLast(new Sample(time, (long) number(tank, CYCLE_KEY, -1), number(tank, "level", Double.NaN), number(tank, "valve", Double.NaN),
                "true".equals(text(tank, "pump")), number(tank, "setpoint", DEFAULT_SETPOINT)));
        while (!trend.isEmpty() && trend.peekFirst().time() < now - TREND_MS) trend.removeFirst();
    }

    /** {@code $primary} of a part: a change of node is a failover (or a transfer) and is marked. */
    synchronized void primary(String part, Reading announcement, int node, long now) {
        Reading before = primaries.put(part, announcement);
        int was = before == null ? -1 : nodeOf(before);
        if (before != null && was != node) {
            Long asked = switchOvers.remove(part);
            boolean planned = asked != null && now - asked < 30_000;
            String text = part + ": primary node " + was + " -> node " + node + " (view " + announcement.view() + ")" + (planned ? ", switch-over" : "");
            marker(now, text, part + " -> " + node, !planned);
        }
    }

    /** A transfer of {@code part} was asked for: its next change of primary is a switch-over, not a failover. */
    synchronized void expectSwitchOver(String part) {
        switchOvers.put(part, System.currentTimeMillis());
    }

    synchronized void nodeOnline(int node, String state) {
        String before = nodesOnline.put(node, state);
        if (before != null && !before.equals(state)) event("controller " + node + " is " + state + " on MQTT");
    }

    // ---- from the controllers

    synchronized void controllerState(int node, String state) {
        controllerStates.put(node, state);
        if (!state.equals("running")) replicas.remove(node);
    }

    synchronized void replicas(int node, Map<String, ReplicaLine> lines) {
        replicas.put(node, lines);
    }

    /**
     * After a round of asking every controller: each part's commit rate, from the highest commit number any replica
     * reported (a replica's commit number is the part's, as far as it knows) between this round and the last.
     */
    synchronized void roundDone(long now) {
        for (String part : PlantFiles.PARTS.keySet()) {
            long commit = -1;
            for (Map<String, ReplicaLine> lines : replicas.values()) {
                ReplicaLine r = lines.get(part);
                if (r != null) commit = Math.max(commit, r.commit());
            }
            if (commit < 0) continue;
            Long before = lastCommit.get(part);
            Long at = lastCommitAt.get(part);
            if (before != null && at != null && now > at) commitRates.put(part, Math.max(0, commit - before) * 1000.0 / (now - at));
            lastCommit.put(part, commit);
            lastCommitAt.put(part, now);
        }
    }

    // ---- operator actions and messages

    synchronized void marker(long now, String text, String label, boolean failover) {
        markers.addLast(new Marker(now, text, label, failover));
        while (!markers.isEmpty() && markers.peekFirst().time() < now - TREND_MS) markers.removeFirst();
        event(text);
    }

    synchronized void event(String text) {
        events.addLast(java.time.LocalTime.now().withNano(0) + "  " + text);
        while (events.size() > 200) events.removeFirst();
    }

    /** Events since the caller last took them. */
    synchronized List<String> takeEvents() {
        List<String> out = new ArrayList<>(events);
        events.clear();
        return out;
    }

    // ---- snapshots for the screen and the page

    /** One part as the status line shows it. */
    record PartSummary(String part, int primary, long view, double commitsPerSecond, String primaryMqtt, Map<String, Reading> values) {}

    synchronized List<PartSummary> parts() {
        List<PartSummary> out = new ArrayList<>();
        for (String part : PlantFiles.PARTS.keySet()) {
            int primary = -1;
            long view = -1;
            for (Map.Entry<Integer, Map<String, ReplicaLine>> e : replicas.entrySet()) {
                ReplicaLine r = e.getValue().get(part);
                if (r != null && r.role().equals("PRIMARY") && r.view() >= view) {
                    primary = e.getKey();
                    view = r.view();
                }
            }
            if (view < 0) {
                for (Map<String, ReplicaLine> lines : replicas.values()) {
                    ReplicaLine r = lines.get(part);
                    if (r != null) view = Math.max(view, r.view());
                }
            }
            String mqtt = primary < 0 ? "-" : nodesOnline.getOrDefault(primary, "?");
            out.add(new PartSummary(part, primary, view, commitRates.getOrDefault(part, 0.0), mqtt,
                    new TreeMap<>(values.getOrDefault(part, Map.of()))));
        }
        return out;
    }

    synchronized Map<Integer, String> controllerStates() {
        return new TreeMap<>(controllerStates);
    }

    synchronized Map<Integer, Map<String, ReplicaLine>> replicas() {
        Map<Integer, Map<String, ReplicaLine>> copy = new TreeMap<>();
        replicas.forEach((n, lines) -> copy.put(n, new TreeMap<>(lines)));
        return copy;
    }

    synchronized Map<Integer, String> nodesOnline() {
        return new TreeMap<>(nodesOnline);
    }

    synchronized List<Sample> trendSince(long since) {
        List<Sample> out = new ArrayList<>();
        for (Sample s : trend) if (s.time() > since) out.add(s);
        return out;
    }

    synchronized List<Marker> markers() {
        return new ArrayList<>(markers);
    }

    static double number(Map<String, Reading> keys, String key, double absent) {
        String v = text(keys, key);
        if (v == null) return absent;
        try {
            return Double.parseDouble(v.replace("\"", ""));
        } catch (NumberFormatException e) {
            return absent;
        }
    }

    static String text(Map<String, Reading> keys, String key) {
        Reading r = keys.get(key);
        return r == null ? null : r.value();
    }

    private static int nodeOf(Reading announcement) {
        try {
            return Integer.parseInt(announcement.value());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
