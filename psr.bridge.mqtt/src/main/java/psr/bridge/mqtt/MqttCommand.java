package psr.bridge.mqtt;

import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

/**
 * {@code psr:mqtt [-1]}: each bridge's connection, counters and parts. People get a block per bridge; {@code -1}
 * one {@code name=value} line per bridge and per part, for scripts. Never prints a secret.
 */
@Component(service = MqttCommand.class, property = {"osgi.command.scope=psr", "osgi.command.function=mqtt"})
public final class MqttCommand {
    private final CopyOnWriteArrayList<BridgeComponent> bridges = new CopyOnWriteArrayList<>();

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addBridge(BridgeComponent b) {
        bridges.add(b);
    }

    void removeBridge(BridgeComponent b) {
        bridges.remove(b);
    }

    public String mqtt(String... args) {
        boolean lines = args.length == 1 && args[0].equals("-1");
        if (args.length > 1 || args.length == 1 && !lines) return "usage: psr:mqtt [-1]";
        if (bridges.isEmpty()) return "no MQTT bridge on this node (configure one: deploy/psr.bridge.mqtt-<name>.cfg)";
        StringBuilder b = new StringBuilder();
        for (BridgeComponent c : bridges) render(b, c.bridge(), lines);
        return b.toString().stripTrailing();
    }

    static void render(StringBuilder b, BridgeRuntime bridge, boolean lines) {
        Map<String, Object> st = bridge.status();
        Map<String, Long> counters = bridge.counters().snapshot();
        if (lines) {
            b.append("bridge=").append(st.get("client"));
            st.forEach((k, v) -> { if (!k.equals("client")) b.append(' ').append(k).append('=').append(quote(v)); });
            counters.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
            b.append('\n');
            for (Map<String, Object> p : bridge.partStatus()) {
                b.append("bridge=").append(st.get("client"));
                p.forEach((k, v) -> b.append(' ').append(k).append('=').append(quote(v)));
                b.append('\n');
            }
            return;
        }
        b.append("MQTT bridge ").append(st.get("client")).append(": ").append(st.get("state"));
        if (!String.valueOf(st.get("uri")).isEmpty()) b.append(", broker ").append(st.get("uri"));
        b.append('\n');
        counters.forEach((k, v) -> b.append(String.format("  %-32s %d%n", k, v)));
        for (Map<String, Object> p : bridge.partStatus()) {
            b.append(String.format("  part %-20s %s", p.get("part"), Boolean.TRUE.equals(p.get("serving")) ? "publishing" : "not primary"));
            p.forEach((k, v) -> { if (!k.equals("part") && !k.equals("serving")) b.append("  ").append(k).append(' ').append(v); });
            b.append('\n');
        }
    }

    private static String quote(Object v) {
        String s = String.valueOf(v);
        return s.isEmpty() || s.contains(" ") ? "\"" + s.replace("\"", "'") + "\"" : s;
    }
}
