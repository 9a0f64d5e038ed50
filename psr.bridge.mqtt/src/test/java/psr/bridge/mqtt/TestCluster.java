package psr.bridge.mqtt;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.osgi.service.log.Logger;

import psr.api.state.Role;
import psr.consensus.part.PartRuntime;
import psr.consensus.part.PartSettings;
import psr.osal.linux.ThreadEventLoops;

/**
 * Three real replicas of the part {@code boiler} (psr.consensus on psr.osal.linux event loops, diskless) over an
 * in-memory network, and on each node a bridge to the test's broker, as three controllers would run them.
 */
final class TestCluster implements AutoCloseable {
    static final String PART = "boiler";

    final TestNetwork network = new TestNetwork();
    final ThreadEventLoops loops = new ThreadEventLoops(quietLogger());
    final PartRuntime[] replicas = new PartRuntime[4]; // nodes 1..3
    final BridgeRuntime[] bridges = new BridgeRuntime[4];
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    final String brokerUri;

    TestCluster(String brokerUri) {
        this.brokerUri = brokerUri;
    }

    static Logger quietLogger() {
        return (Logger) Proxy.newProxyInstance(Logger.class.getClassLoader(), new Class<?>[] {Logger.class},
                (proxy, method, args) -> method.getReturnType() == boolean.class ? false : method.getReturnType() == String.class ? "test" : null);
    }

    TestCluster startReplicas() throws Exception {
        for (int n = 1; n <= 3; n++) startReplica(n);
        return this;
    }

    PartRuntime startReplica(int node) throws Exception {
        Map<String, Object> p = new HashMap<>();
        p.put("part", PART);
        p.put("node", node);
        p.put("replicas", "1,2,3");
        p.put("durability", "diskless");
        p.put("start.mode", "new-group");
        p.put("tick.ms", 5);
        p.put("heartbeat.ms", 20);
        p.put("connectivity.window.ms", 60);
        p.put("election.timeout.ms", 200);
        p.put("view.change.timeout.ms", 200);
        p.put("request.timeout.ms", 3000);
        PartRuntime r = new PartRuntime(PartSettings.from(p), network.node(node), loops, null, new PartRuntime.Log() {
            @Override public void info(String m) { log.add("INFO replica " + node + ": " + m); }
            @Override public void warn(String m) { log.add("WARN replica " + node + ": " + m); }
            @Override public void error(String m, Throwable t) { log.add("ERROR replica " + node + ": " + m + ": " + t); }
        });
        r.start();
        replicas[node] = r;
        return r;
    }

    /** The settings every test bridge uses: fast reconnects, so tests wait little. */
    static Map<String, Object> bridgeProperties(int node, String uri) {
        Map<String, Object> p = new HashMap<>();
        p.put("cluster", "plant");
        p.put("node", node);
        p.put("broker.uris", uri);
        p.put("reconnect.initial.ms", 50);
        p.put("reconnect.max.ms", 400);
        p.put("keepalive.s", 2);
        return p;
    }

    BridgeRuntime startBridge(int node) {
        return startBridge(node, Map.of());
    }

    BridgeRuntime startBridge(int node, Map<String, Object> extra) {
        Map<String, Object> p = bridgeProperties(node, brokerUri);
        p.putAll(extra);
        BridgeSettings settings = BridgeSettings.from(p);
        BridgeLog bridgeLog = new BridgeLog() {
            @Override public void info(String m) { log.add("INFO bridge " + node + ": " + m); }
            @Override public void warn(String m) { log.add("WARN bridge " + node + ": " + m); }
            @Override public void error(String m, Throwable t) { log.add("ERROR bridge " + node + ": " + m + ": " + t); }
        };
        BridgeRuntime b = settings.sparkplug ? new SparkplugBridge(settings, bridgeLog) : new Bridge(settings, bridgeLog);
        b.start();
        if (replicas[node] != null) b.addPart(replicas[node]);
        bridges[node] = b;
        return b;
    }

    TestCluster startBridges() {
        for (int n = 1; n <= 3; n++) startBridge(n);
        return this;
    }

    /** The node whose replica is the serving primary, or -1. */
    int primary() {
        for (int n = 1; n <= 3; n++) {
            if (replicas[n] != null && replicas[n].status().role() == Role.PRIMARY) return n;
        }
        return -1;
    }

    int awaitPrimary() throws InterruptedException {
        Subscriber.await("a serving primary", () -> primary() > 0);
        return primary();
    }

    /** What a controller that loses power does: its replica and bridge stop at once, nothing is said to anyone. */
    void crash(int node) {
        network.cut(node, true);
        if (bridges[node] != null) bridges[node].abandon();
        if (replicas[node] != null) replicas[node].stop();
        bridges[node] = null;
        replicas[node] = null;
    }

    @Override
    public void close() {
        if (Boolean.getBoolean("psr.test.log")) System.out.println("---- cluster log\n" + logText());
        for (BridgeRuntime b : bridges) if (b != null) b.stop();
        for (PartRuntime r : replicas) if (r != null) r.stop();
        network.close();
    }

    String logText() {
        synchronized (log) {
            return String.join("\n", log);
        }
    }
}
