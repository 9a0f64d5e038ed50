package psr.bridge.mqtt;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import psr.api.state.PartState;

/** Sparkplug B mode: one {@link SparkplugEdge} (edge node, own MQTT session) per part this node publishes. */
final class SparkplugBridge implements BridgeRuntime {
    private final BridgeSettings settings;
    private final BridgeLog log;
    private final Counters counters = new Counters("connects", "connection.losses", "connect.failures", "published", "births");
    private final Map<String, SparkplugEdge> edges = new ConcurrentHashMap<>();
    private final Commands commands;
    private volatile boolean stopped;

    SparkplugBridge(BridgeSettings settings, BridgeLog log) {
        this.settings = settings;
        this.log = log;
        this.commands = new Commands(settings, log, counters);
    }

    @Override
    public void start() {
    }

    @Override
    public void stop() {
        end(false);
    }

    @Override
    public void abandon() {
        end(true);
    }

    private void end(boolean abandon) {
        stopped = true;
        for (SparkplugEdge e : edges.values()) e.stop(abandon);
        edges.clear();
    }

    @Override
    public void addPart(PartState part) {
        if (stopped || !settings.publishes(part.part()) || edges.containsKey(part.part())) return;
        SparkplugEdge e = new SparkplugEdge(part, settings, log, counters, commands);
        edges.put(part.part(), e);
        e.start();
    }

    @Override
    public void removePart(PartState part) {
        SparkplugEdge e = edges.get(part.part());
        if (e != null && e.state() == part) {
            edges.remove(part.part());
            e.stop(false);
        }
    }

    @Override
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", stopped ? "stopped" : "sparkplug");
        m.put("uri", String.join(",", settings.brokerUris));
        m.put("client", settings.clientId);
        m.put("problem", "");
        return m;
    }

    @Override
    public Counters counters() {
        return counters;
    }

    @Override
    public List<Map<String, Object>> partStatus() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (SparkplugEdge e : new TreeMap<>(edges).values()) out.add(e.status());
        return out;
    }
}
