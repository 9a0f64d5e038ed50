package psr.bridge.mqtt;

import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;
import org.eclipse.tahu.message.SparkplugBPayloadDecoder;
import org.eclipse.tahu.message.SparkplugBPayloadEncoder;
import org.eclipse.tahu.message.model.Metric;
import org.eclipse.tahu.message.model.MetricDataType;
import org.eclipse.tahu.message.model.SparkplugBPayload;

import psr.api.state.Change;
import psr.api.state.KeyChange;
import psr.api.state.Operation;
import psr.api.state.OperationResult;
import psr.api.state.PartState;
import psr.api.state.Serving;
import psr.api.state.Snapshot;
import psr.api.state.StateFollower;
import psr.api.state.Value;

/**
 * One part as one Sparkplug B edge node ({@code spBv1.0/<group>/…/<part>}), its MQTT session held by the part's
 * serving primary only, so one edge node stays one edge node through failovers.
 *
 * <p>Before each connect the new session's bdSeq is committed through the part itself (compare-and-set of
 * {@value #BD_SEQ_KEY} from the value it has to the next), so it increases across controllers: a late NDEATH Will
 * of a dead primary carries an older bdSeq than the NBIRTH that follows it. Then: connect with NDEATH(bdSeq) as the
 * Will, NBIRTH (seq 0) with every node metric, bdSeq and {@code Node Control/Rebirth}, a DBIRTH per device, then
 * NDATA/DDATA by exception with the latest value of every key that changed since the last message (so the changes
 * of one commit batch go in one message). A key added or deleted changes the metric set: that is a rebirth, as is
 * the {@code Node Control/Rebirth} command. Keys starting with {@code $} are not metrics.
 *
 * <p>Threads: the part's delivery thread calls the follower methods, Paho's callback thread hands over commands,
 * and this edge node's own thread does everything that talks to the broker. One lock guards the mirror.
 */
final class SparkplugEdge implements StateFollower {
    static final String BD_SEQ_KEY = "$sparkplug/bdSeq";
    static final String REBIRTH = "Node Control/Rebirth";

    private final PartState state;
    private final String part;
    private final BridgeSettings settings;
    private final BridgeLog log;
    private final Counters counters;
    private final Commands commands;
    private final SparkplugTopics topics;
    private final Thread thread;
    private final Backoff backoff;
    private final Object lock = new Object();

    // Guarded by lock.
    private final TreeMap<String, Value> mirror = new TreeMap<>();
    private final LinkedHashSet<String> dirty = new LinkedHashSet<>();
    private final Set<String> born = new TreeSet<>();
    private boolean rebirth;
    /** With a primary host configured: whether its last STATE said online, and that STATE's timestamp. */
    private boolean hostOnline;
    private long hostStateTimestamp = Long.MIN_VALUE;
    /** The primary host went offline while this session was up: end the session (NDEATH) and start a new one. */
    private boolean hostLeft;
    private boolean serving;
    private long servingView = -1;
    private long op = -1;
    private boolean woken;
    private PartState.Following following;

    private volatile boolean running = true;
    private volatile boolean abandoned;
    private volatile String stateText = "not primary";
    // Edge thread only.
    private MqttAsyncClient client;
    private long bdSeq = -1;
    /** A bdSeq committed for a connect that never reached a broker (so no Will of it can come): the next attempt reuses it. */
    private long unusedBdSeq = -1;
    private long seq;
    private int nextUri;

    SparkplugEdge(PartState state, BridgeSettings settings, BridgeLog log, Counters counters, Commands commands) {
        this.state = state;
        this.commands = commands;
        this.part = state.part();
        this.settings = settings;
        this.log = log;
        this.counters = counters;
        this.topics = new SparkplugTopics(settings.sparkplugGroup, part);
        this.backoff = new Backoff(settings.reconnectInitialMs, settings.reconnectMaxMs, new Random());
        this.thread = new Thread(this::run, "psr-sparkplug-" + part);
        this.thread.setDaemon(true);
    }

    String part() {
        return part;
    }

    PartState state() {
        return state;
    }

    void start() {
        PartState.Following f = state.follow(this);
        synchronized (lock) {
            following = f;
        }
        thread.start();
    }

    /** Ends the edge node: NDEATH said (or, abandoned, left to the Will) and the session closed. */
    void stop(boolean abandon) {
        abandoned = abandon;
        running = false;
        PartState.Following f;
        synchronized (lock) {
            f = following;
            following = null;
            serving = false;
            woken = true;
            lock.notifyAll();
        }
        if (f != null) f.close();
        try {
            thread.join(settings.publishTimeoutMs + 2000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------------
    // The part's delivery thread.

    @Override
    public void started(Snapshot snapshot) {
        synchronized (lock) {
            mirror.clear();
            mirror.putAll(snapshot.values());
            op = snapshot.opNumber();
        }
    }

    @Override
    public void changed(Change change) {
        synchronized (lock) {
            for (KeyChange k : change.changes()) {
                if (k.newValue() == null) mirror.remove(k.key()); else mirror.put(k.key(), k.newValue());
                if (k.key().startsWith("$")) continue;
                if (k.newValue() == null || !born.contains(k.key()) || k.oldValue() != null && k.oldValue().type() != k.newValue().type()) {
                    rebirth = true; // the metric set (or a metric's type) changed: a host must be told by a new birth
                } else {
                    dirty.add(k.key());
                }
            }
            op = change.opNumber();
            woken = true;
            lock.notifyAll();
        }
    }

    @Override
    public void servingChanged(Serving s) {
        synchronized (lock) {
            serving = s.serving();
            servingView = s.serving() ? s.view() : -1;
            woken = true;
            lock.notifyAll();
        }
    }

    // ------------------------------------------------------------------------------------------------
    // The edge node's thread.

    private void run() {
        while (running) {
            try {
                boolean serve;
                synchronized (lock) {
                    serve = serving;
                }
                if (serve && client == null) {
                    if (!becomeEdgeNode()) pause(backoff.nextDelayMs());
                } else if (!serve && client != null) {
                    goOffline(true);
                } else if (client != null && takeHostLeft()) {
                    log.info("part " + part + ": primary host " + settings.sparkplugPrimaryHost + " went offline: ending this Sparkplug session, starting a new one");
                    goOffline(true);
                } else if (client != null && !client.isConnected()) {
                    log.warn("part " + part + ": Sparkplug session lost; connecting again with a new bdSeq");
                    counters.add("connection.losses");
                    closeQuietly();
                } else if (client != null && !publishDue()) {
                    pause(100);
                } else if (client == null) {
                    pause(100);
                }
            } catch (MqttException | RuntimeException e) {
                log.warn("part " + part + ": Sparkplug session: " + e.getMessage() + "; starting it again");
                counters.add("connection.losses");
                closeQuietly();
                pause(backoff.nextDelayMs());
            }
        }
        if (client != null) goOffline(!abandoned);
        stateText = "stopped";
    }

    /** Commits the next bdSeq through the part, then connects with NDEATH(bdSeq) as its Will, subscribes and is born. */
    private boolean becomeEdgeNode() throws MqttException {
        Value current;
        synchronized (lock) {
            current = mirror.get(BD_SEQ_KEY);
        }
        long next;
        if (current != null && current.asInt64() == unusedBdSeq) {
            next = unusedBdSeq; // still the committed value: this replica committed it and no broker took a session with it
        } else {
            next = current == null ? 0 : current.asInt64() + 1;
            OperationResult r;
            try {
                r = state.submit(Operation.compareAndSet(BD_SEQ_KEY, current, Value.ofInt64(next, System.currentTimeMillis())))
                        .toCompletableFuture().get(settings.publishTimeoutMs, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                stateText = "committing bdSeq " + next + " failed: " + e.getMessage();
                return false;
            }
            if (!r.applied()) return false; // another value was committed meanwhile: the next round reads it
        }
        unusedBdSeq = next;
        synchronized (lock) {
            if (!serving) return false; // deposed while committing: the next primary commits its own
        }
        String uri = settings.brokerUris.get(nextUri);
        nextUri = (nextUri + 1) % settings.brokerUris.size();
        MqttAsyncClient c = new MqttAsyncClient(uri, settings.clientId + "-" + part, new MemoryPersistence());
        c.setCallback(new Callback());
        MqttConnectOptions o = new MqttConnectOptions();
        o.setCleanSession(true);
        o.setAutomaticReconnect(false);
        o.setKeepAliveInterval(settings.keepAliveS);
        o.setConnectionTimeout(Math.max(1, (settings.connectTimeoutMs + 999) / 1000));
        o.setWill(topics.node("NDEATH"), encode(deathPayload(next)), 1, false);
        if (!settings.username.isEmpty()) {
            o.setUserName(settings.username);
            o.setPassword(settings.password());
        }
        if (uri.startsWith("ssl://")) {
            o.setSocketFactory(settings.tls);
            o.setHttpsHostnameVerificationEnabled(settings.tlsHostnameCheck);
        }
        try {
            c.connect(o).waitForCompletion(settings.connectTimeoutMs + 1000L);
            c.subscribe(topics.node("NCMD"), 1).waitForCompletion(settings.publishTimeoutMs);
            c.subscribe(topics.device("DCMD", "+"), 1).waitForCompletion(settings.publishTimeoutMs);
            synchronized (lock) {
                hostOnline = settings.sparkplugPrimaryHost.isEmpty(); // with a primary host: not before its STATE says so
                hostLeft = false;
            }
            if (!settings.sparkplugPrimaryHost.isEmpty()) c.subscribe(SparkplugTopics.state(settings.sparkplugPrimaryHost), 1).waitForCompletion(settings.publishTimeoutMs);
        } catch (MqttException e) {
            // Reuse the bdSeq only when no TCP connection was made: after a timeout the broker may hold the session and
            // later send its Will, which must not carry the bdSeq of the next session.
            if (e.getReasonCode() != MqttException.REASON_CODE_SERVER_CONNECT_ERROR) unusedBdSeq = -1;
            counters.add("connect.failures");
            stateText = "cannot connect to " + uri + ": " + e.getMessage();
            client = c;
            closeQuietly();
            return false;
        }
        client = c;
        bdSeq = next;
        unusedBdSeq = -1;
        backoff.reset();
        counters.add("connects");
        synchronized (lock) {
            rebirth = true;
        }
        log.info("part " + part + ": Sparkplug edge node " + settings.sparkplugGroup + "/" + part + " online at " + uri + " with bdSeq " + next);
        stateText = "online, bdSeq " + next;
        publishDue();
        return true;
    }

    /** Publishes a birth or the data that is due; false when nothing was. */
    private boolean publishDue() throws MqttException {
        Map<String, Value> values;
        boolean birth;
        synchronized (lock) {
            if (!hostOnline) return false; // waiting for the primary host's STATE online
            birth = rebirth;
            if (!birth && dirty.isEmpty()) return false;
            values = new TreeMap<>();
            if (birth) {
                for (Map.Entry<String, Value> e : mirror.entrySet()) if (!e.getKey().startsWith("$")) values.put(e.getKey(), e.getValue());
                born.clear();
                born.addAll(values.keySet());
                rebirth = false;
            } else {
                for (String k : dirty) values.put(k, mirror.get(k));
            }
            dirty.clear();
        }
        Map<String, List<Metric>> byDevice = new LinkedHashMap<>(); // null: the node's own metrics
        byDevice.put(null, new ArrayList<>());
        for (Map.Entry<String, Value> e : values.entrySet()) {
            String device = deviceOf(e.getKey());
            String name = device == null ? e.getKey() : e.getKey().substring(device.length() + 1);
            byDevice.computeIfAbsent(device, d -> new ArrayList<>()).add(SparkplugMetrics.metric(name, e.getValue()));
        }
        if (birth) {
            seq = 0;
            List<Metric> node = byDevice.get(null);
            node.add(0, SparkplugMetrics.longMetric("bdSeq", bdSeq % 256));
            node.add(1, SparkplugMetrics.boolMetric(REBIRTH, false));
            publish(topics.node("NBIRTH"), node);
            counters.add("births");
            for (Map.Entry<String, List<Metric>> d : byDevice.entrySet()) if (d.getKey() != null) publish(topics.device("DBIRTH", d.getKey()), d.getValue());
            return true;
        }
        for (Map.Entry<String, List<Metric>> d : byDevice.entrySet()) {
            if (d.getValue().isEmpty()) continue;
            publish(d.getKey() == null ? topics.node("NDATA") : topics.device("DDATA", d.getKey()), d.getValue());
        }
        return true;
    }

    private String deviceOf(String key) {
        int slash = key.indexOf('/');
        if (slash <= 0) return null;
        String d = key.substring(0, slash);
        return settings.sparkplugDevices.contains(d) ? d : null;
    }

    private void publish(String topic, List<Metric> metrics) throws MqttException {
        SparkplugBPayload p = new SparkplugBPayload.SparkplugBPayloadBuilder().setTimestamp(new Date()).setSeq(seq).addMetrics(metrics).createPayload();
        seq = (seq + 1) % 256;
        IMqttDeliveryToken t = client.publish(topic, encode(p), settings.qos, false);
        t.waitForCompletion(settings.publishTimeoutMs);
        counters.add("published");
    }

    private void goOffline(boolean sayDeath) {
        MqttAsyncClient c = client;
        if (c == null) return;
        try {
            if (sayDeath) {
                c.publish(topics.node("NDEATH"), encode(deathPayload(bdSeq)), 1, false).waitForCompletion(settings.publishTimeoutMs);
                c.disconnect(1000).waitForCompletion(2000);
            } else {
                c.disconnectForcibly(0, 500, false); // as a dying process: the broker sends the Will
            }
        } catch (MqttException e) {
            log.warn("part " + part + ": Sparkplug edge node could not say NDEATH: " + e.getMessage());
        }
        closeQuietly();
        stateText = "not primary";
        log.info("part " + part + ": Sparkplug edge node offline (bdSeq " + bdSeq + ")");
    }

    private void closeQuietly() {
        MqttAsyncClient c = client;
        client = null;
        if (c == null) return;
        try {
            if (c.isConnected()) c.disconnectForcibly(0, 500);
        } catch (MqttException e) {
            // going away anyway
        }
        try {
            c.close(true);
        } catch (MqttException e) {
            // going away anyway
        }
    }

    private SparkplugBPayload deathPayload(long bd) {
        try {
            return new SparkplugBPayload.SparkplugBPayloadBuilder().setTimestamp(new Date()).addMetric(SparkplugMetrics.longMetric("bdSeq", bd % 256)).createPayload();
        } catch (RuntimeException e) {
            throw new IllegalStateException("NDEATH payload: " + e.getMessage(), e);
        }
    }

    private static byte[] encode(SparkplugBPayload p) {
        try {
            return new SparkplugBPayloadEncoder().getBytes(p, false);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("Sparkplug payload not encoded: " + e.getMessage(), e);
        }
    }

    private void pause(long ms) {
        synchronized (lock) {
            if (!woken && running) {
                try {
                    lock.wait(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
            woken = false;
        }
    }

    Map<String, Object> status() {
        synchronized (lock) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("part", part);
            m.put("serving", serving);
            m.put("view", servingView);
            m.put("op", op);
            m.put("keys", mirror.size());
            m.put("edge", stateText);
            return m;
        }
    }

    private boolean takeHostLeft() {
        synchronized (lock) {
            boolean left = hostLeft;
            hostLeft = false;
            return left;
        }
    }

    /**
     * The primary host's STATE (Paho's callback thread): online lets this session be born; offline, newer than the last
     * STATE seen, ends the session, so that the next one waits for the host again. An older STATE is ignored.
     */
    private void onHostState(byte[] payload) {
        Map<String, Object> m;
        try {
            m = Json.parseFlatObject(new String(payload, java.nio.charset.StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            counters.add("host.state.unparseable");
            return;
        }
        if (!(m.get("online") instanceof Boolean online) || !(m.get("timestamp") instanceof Json.Number ts)) {
            counters.add("host.state.unparseable");
            return;
        }
        long timestamp;
        try {
            timestamp = Long.parseLong(ts.text());
        } catch (NumberFormatException e) {
            counters.add("host.state.unparseable");
            return;
        }
        synchronized (lock) {
            if (timestamp < hostStateTimestamp) return;
            hostStateTimestamp = timestamp;
            if (online && !hostOnline) rebirth = true;
            if (!online && hostOnline) hostLeft = true;
            hostOnline = online;
            woken = true;
            lock.notifyAll();
        }
    }

    /**
     * Paho's callback thread: the Rebirth command, and NCMD/DCMD metrics as writes (node metric name = key; device
     * metric = device/name) when commands are enabled and allowed. Only the serving primary holds the session, so only
     * it hears commands.
     */
    private final class Callback implements MqttCallback {
        @Override
        public void connectionLost(Throwable cause) {
            synchronized (lock) {
                woken = true;
                lock.notifyAll();
            }
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            if (!settings.sparkplugPrimaryHost.isEmpty() && topic.equals(SparkplugTopics.state(settings.sparkplugPrimaryHost))) {
                onHostState(message.getPayload());
                return;
            }
            SparkplugBPayload p;
            try {
                p = new SparkplugBPayloadDecoder().buildFromByteArray(message.getPayload(), null);
            } catch (Exception e) {
                counters.add("commands.refused.unparseable");
                return;
            }
            String device = topic.startsWith(topics.node("NCMD")) ? null : topic.substring(topic.lastIndexOf('/') + 1);
            for (Metric m : p.getMetrics()) {
                if (device == null && REBIRTH.equals(m.getName())) {
                    if (Boolean.TRUE.equals(m.getValue())) {
                        synchronized (lock) {
                            rebirth = true;
                            woken = true;
                            lock.notifyAll();
                        }
                        counters.add("rebirths.requested");
                    }
                    continue;
                }
                if (m.getName() == null) {
                    counters.add("commands.refused.unparseable"); // aliases are not used by this edge node
                    continue;
                }
                String key = device == null ? m.getName() : device + "/" + m.getName();
                if (!commands.admit(part, key, message.getPayload().length, message.isRetained())) continue;
                Value current;
                synchronized (lock) {
                    current = mirror.get(key);
                }
                try {
                    commands.write(state, key, SparkplugMetrics.value(m, current, System.currentTimeMillis()));
                } catch (Payloads.Refused e) {
                    commands.refuse(part, key, e.reason, e.getMessage());
                }
            }
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) {
        }
    }
}
