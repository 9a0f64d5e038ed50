package psr.bridge.mqtt;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.IMqttToken;
import org.eclipse.paho.client.mqttv3.MqttAsyncClient;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import psr.api.state.PartState;

/**
 * One bridge: one MQTT session for this node, and a {@link PartPublisher} per part it publishes.
 *
 * <p>One bridge thread does everything that talks to the broker, in order: connecting (each broker URI in turn,
 * then an exponential back-off with jitter; Paho's own automatic reconnect stays off so that a reconnect always
 * passes through the republish), subscribing, the republish of a part that needs one, and publishing the queued
 * messages with at most {@code inflight.max} unacknowledged (so a slow broker slows the bridge thread, and the queues
 * coalesce instead of growing).
 * Paho's callback thread only hands over: a lost connection, the retained topics a republish asks for, fences and
 * commands.
 */
final class Bridge implements BridgeRuntime, PartPublisher.Host {
    static final byte[] ONLINE = "online".getBytes(StandardCharsets.US_ASCII);
    static final byte[] OFFLINE = "offline".getBytes(StandardCharsets.US_ASCII);

    private final BridgeSettings settings;
    private final BridgeLog log;
    private final Topics topics;
    private final Counters counters = new Counters("connects", "connection.losses", "connect.failures", "published", "republished",
            "cleared", "queue.overflows", "sync.incomplete", "commands.accepted", "commands.failed");
    private final Commands commands;
    private final Map<String, PartPublisher> parts = new ConcurrentHashMap<>();
    private final Backoff backoff;
    private final RateLimit republishRate;
    private final Thread thread;
    private final Object signal = new Object();
    private boolean woken; // guarded by signal

    private volatile boolean running = true;
    private volatile boolean abandoned;
    private volatile boolean connected;
    private volatile String state = "starting";
    private volatile String connectedUri = "";
    private volatile String lastProblem = "";
    /** The retained topics a republish is collecting, or null. */
    private volatile RetainedScan scan;
    private MqttAsyncClient client; // bridge thread only
    /** Publications handed to Paho and not yet acknowledged, oldest first (bridge thread only). */
    private final java.util.ArrayDeque<IMqttDeliveryToken> inflight = new java.util.ArrayDeque<>();
    private int nextUri;       // bridge thread only
    private int turn;          // bridge thread only: the part to look at first for the next message

    Bridge(BridgeSettings settings, BridgeLog log) {
        this.settings = settings;
        this.log = log;
        this.topics = new Topics(settings.prefix);
        this.commands = new Commands(settings, log, counters);
        this.backoff = new Backoff(settings.reconnectInitialMs, settings.reconnectMaxMs, new Random());
        this.republishRate = new RateLimit(settings.republishRate, System.nanoTime());
        this.thread = new Thread(this::run, "psr-mqtt-" + settings.clientId);
        this.thread.setDaemon(true);
    }

    @Override
    public void start() {
        thread.start();
    }

    /** Publishes this node's status {@code offline}, disconnects and ends the bridge thread (waits up to a few seconds). */
    @Override
    public void stop() {
        end();
    }

    /**
     * Ends the bridge as a process that dies would: the connection drops without a word (so the broker publishes the
     * Will, {@code offline}) and nothing more is published. For crash tests; {@link #stop} is the orderly way.
     */
    @Override
    public void abandon() {
        abandoned = true;
        end();
    }

    private void end() {
        running = false;
        for (PartPublisher p : parts.values()) p.close();
        wake();
        try {
            thread.join(settings.publishTimeoutMs + 2000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void addPart(PartState part) {
        if (!settings.publishes(part.part()) || parts.containsKey(part.part())) return;
        if (part.status().node() != settings.node) {
            log.warn("part " + part.part() + ": its replica is on node " + part.status().node() + " but this bridge is configured as node " + settings.node
                    + "; $primary and $nodes name node " + settings.node);
        }
        PartPublisher p = new PartPublisher(part, topics, settings.queueCapacity, this, log, counters);
        parts.put(part.part(), p);
        p.start();
        wake();
    }

    @Override
    public void removePart(PartState part) {
        PartPublisher p = parts.get(part.part());
        if (p != null && p.state() == part) {
            parts.remove(part.part());
            p.close();
        }
    }

    @Override
    public void wake() {
        synchronized (signal) {
            woken = true;
            signal.notifyAll();
        }
    }

    @Override
    public boolean connected() {
        return connected;
    }

    @Override
    public Counters counters() {
        return counters;
    }

    BridgeSettings settings() {
        return settings;
    }

    /** Connection state and the parts, for the shell. */
    @Override
    public Map<String, Object> status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", state);
        m.put("uri", connectedUri);
        m.put("client", settings.clientId);
        m.put("problem", lastProblem);
        return m;
    }

    @Override
    public List<Map<String, Object>> partStatus() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (PartPublisher p : new java.util.TreeMap<>(parts).values()) out.add(p.status());
        return out;
    }

    // ------------------------------------------------------------------------------------------------
    // The bridge thread.

    private void run() {
        while (running) {
            if (client != null && !connected) lost(lastProblem);
            if (!connected && !connect()) {
                if (nextUri == 0) pause(backoff.nextDelayMs()); // a whole round of URIs failed: back off before the next
                continue;
            }
            try {
                for (PartPublisher p : parts.values()) {
                    if (!p.subscribed) subscribe(p);
                    long view = p.syncDue();
                    if (view >= 0) republish(p, view);
                }
                if (!publishNext()) idle();
            } catch (MqttException e) {
                lost("MQTT error: " + describe(e));
            }
        }
        shutdown();
    }

    private boolean connect() {
        String uri = settings.brokerUris.get(nextUri);
        nextUri = (nextUri + 1) % settings.brokerUris.size();
        state = "connecting to " + uri;
        MqttAsyncClient c = null;
        try {
            c = new MqttAsyncClient(uri, settings.clientId, new MemoryPersistence());
            c.setCallback(new Callback());
            MqttConnectOptions o = new MqttConnectOptions();
            o.setCleanSession(true); // everything is republished on connect, nothing needs to survive in the session
            o.setAutomaticReconnect(false);
            o.setKeepAliveInterval(settings.keepAliveS);
            o.setConnectionTimeout(Math.max(1, (settings.connectTimeoutMs + 999) / 1000));
            o.setMaxInflight(settings.inflightMax + 2); // the window, and room for a republish's marker and the status
            o.setWill(topics.node(settings.node), OFFLINE, 1, true);
            if (uri.startsWith("ssl://")) {
                o.setSocketFactory(settings.tls);
                o.setHttpsHostnameVerificationEnabled(settings.tlsHostnameCheck);
            }
            if (!settings.username.isEmpty()) {
                o.setUserName(settings.username);
                o.setPassword(settings.password());
            }
            c.connect(o).waitForCompletion(settings.connectTimeoutMs + 1000L);
            c.publish(topics.node(settings.node), ONLINE, 1, true).waitForCompletion(settings.publishTimeoutMs);
        } catch (MqttException | RuntimeException e) {
            counters.add("connect.failures");
            lastProblem = "cannot connect to " + uri + ": " + describe(e);
            state = "disconnected (" + lastProblem + ")";
            closeQuietly(c);
            return false;
        }
        client = c;
        nextUri = settings.brokerUris.indexOf(uri); // stay with the broker that works
        backoff.reset();
        connected = true;
        connectedUri = uri;
        state = "connected";
        lastProblem = "";
        counters.add("connects");
        for (PartPublisher p : parts.values()) {
            p.subscribed = false;
            p.connectionChanged();
        }
        log.info("MQTT bridge " + settings.clientId + ": connected to " + uri);
        return true;
    }

    private void subscribe(PartPublisher p) throws MqttException {
        await(client.subscribe(topics.primary(p.part()), 1));
        for (String filter : commandFilters(p.part())) await(client.subscribe(filter, 1));
        p.subscribed = true;
    }

    private List<String> commandFilters(String part) {
        if (!settings.commandsEnabled) return List.of();
        List<String> out = new ArrayList<>();
        for (String a : settings.commandsAllow) {
            if (a.endsWith("*")) return List.of(topics.partFilter(part)); // a key prefix: only a # filter reaches every /set under it
            out.add(topics.command(part, a));
        }
        return out;
    }

    /**
     * Learns which keys of the part the broker retains (subscribing to the part's topics and waiting for a marker
     * sent after the subscription, which arrives after the retained messages), then queues the republish.
     */
    private void republish(PartPublisher p, long view) throws MqttException {
        String filter = topics.partFilter(p.part());
        String nonce = Long.toHexString(new Random().nextLong());
        RetainedScan s = new RetainedScan(p.part(), topics, nonce);
        scan = s;
        try {
            await(client.subscribe(filter, 1));
            await(client.publish(topics.sync(p.part()), nonce.getBytes(StandardCharsets.US_ASCII), 1, false));
            if (!s.await(settings.syncTimeoutMs)) {
                counters.add("sync.incomplete");
                log.warn("part " + p.part() + ": the broker did not return the sync marker within sync.timeout.ms = " + settings.syncTimeoutMs
                        + " ms; keys it retains that were deleted meanwhile may stay until the next republish");
            }
            if (!commandFilters(p.part()).contains(filter)) await(client.unsubscribe(filter));
        } finally {
            scan = null;
        }
        p.completeSync(s.keys(), view, settings.node);
    }

    private void await(IMqttToken token) throws MqttException {
        token.waitForCompletion(settings.publishTimeoutMs);
    }

    /**
     * Waits while {@code inflight.max} publications are unacknowledged, so that a slow broker slows the bridge thread
     * (and the queues coalesce) instead of Paho buffering without bound. A failed or overdue one is a lost connection.
     */
    private void throttle() throws MqttException {
        while (!inflight.isEmpty() && (inflight.peekFirst().isComplete() || inflight.size() >= settings.inflightMax)) {
            IMqttDeliveryToken t = inflight.pollFirst();
            t.waitForCompletion(settings.publishTimeoutMs);
            if (t.getException() != null) throw t.getException();
        }
    }

    /**
     * Hands one message to Paho. Our window counts a publication as done when its token completes, which can be a
     * moment before Paho frees its own in-flight slot; a publish in that moment (or while the status and a republish's
     * marker use the two spare slots) is refused with "too many publishes in progress". That is not a lost connection:
     * wait a little and hand it over again, for at most publish.timeout.ms.
     */
    private IMqttDeliveryToken publishWhenPahoHasRoom(String topic, byte[] payload, int qos) throws MqttException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(settings.publishTimeoutMs);
        while (true) {
            try {
                return client.publish(topic, payload, qos, true);
            } catch (MqttException e) {
                if (e.getReasonCode() != MqttException.REASON_CODE_MAX_INFLIGHT || System.nanoTime() > deadline || !running) throw e;
                counters.add("inflight.full");
                try {
                    Thread.sleep(2);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** Sends one message if one may go now; false when there was nothing. */
    private boolean publishNext() throws MqttException {
        throttle();
        List<PartPublisher> all = new ArrayList<>(parts.values());
        for (int i = 0; i < all.size(); i++) {
            PartPublisher p = all.get((turn + i) % all.size()); // parts take turns: a busy one never starves the others
            boolean allowed = !p.nextIsRepublish() || republishRate.tryTake(System.nanoTime());
            OutboundQueue.Message m = p.poll(allowed);
            if (m == null) continue;
            int qos = m.topic().endsWith("/" + Topics.PRIMARY) ? 1 : settings.qos;
            inflight.addLast(publishWhenPahoHasRoom(m.topic(), m.payload(), qos));
            counters.add("published");
            if (m.republish()) counters.add(m.payload().length == 0 ? "cleared" : "republished");
            turn = (turn + i + 1) % all.size();
            return true;
        }
        return false;
    }

    private void idle() {
        long waitNanos = republishRate.nanosUntilToken(System.nanoTime());
        pause(Math.max(1, Math.min(100, waitNanos / 1_000_000)));
    }

    private void pause(long ms) {
        synchronized (signal) {
            if (!woken && running) {
                try {
                    signal.wait(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
            woken = false;
        }
    }

    private void lost(String why) {
        if (client == null) return;
        connected = false;
        inflight.clear(); // what was handed over and not acknowledged is covered by the republish after the reconnect
        counters.add("connection.losses");
        lastProblem = why;
        state = "disconnected (" + why + ")";
        for (PartPublisher p : parts.values()) p.connectionChanged();
        log.warn("MQTT bridge " + settings.clientId + ": connection to " + connectedUri + " lost: " + why + "; reconnecting");
        closeQuietly(client);
        client = null;
    }

    private void shutdown() {
        MqttAsyncClient c = client;
        connected = false;
        state = "stopped";
        if (c == null) return;
        if (abandoned) {
            try {
                c.disconnectForcibly(0, 500, false); // no DISCONNECT packet: the broker sees a dead client and sends the Will
            } catch (MqttException e) {
                // gone either way
            }
            closeQuietly(c);
            client = null;
            return;
        }
        try {
            for (IMqttDeliveryToken t : inflight) t.waitForCompletion(settings.publishTimeoutMs);
            c.publish(topics.node(settings.node), OFFLINE, 1, true).waitForCompletion(settings.publishTimeoutMs); // what the Will would say, said cleanly
            c.disconnect(1000).waitForCompletion(2000);
        } catch (MqttException e) {
            log.warn("MQTT bridge " + settings.clientId + ": could not say offline before stopping: " + describe(e));
        }
        closeQuietly(c);
        client = null;
    }

    private static void closeQuietly(MqttAsyncClient c) {
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

    private static String describe(Exception e) {
        String m = e.getMessage();
        Throwable cause = e.getCause();
        return (m == null ? e.getClass().getSimpleName() : m) + (cause != null && cause.getMessage() != null ? " (" + cause.getMessage() + ")" : "");
    }

    // ------------------------------------------------------------------------------------------------
    // Paho's callback thread: hand over, never block, never call the client.

    private final class Callback implements MqttCallback {
        @Override
        public void connectionLost(Throwable cause) {
            connected = false; // the bridge thread's next publish fails or it sees this; lost() does the rest
            lastProblem = "connection lost: " + cause;
            wake();
        }

        @Override
        public void messageArrived(String topic, MqttMessage message) {
            try {
                onMessage(topic, message);
            } catch (RuntimeException e) {
                log.error("MQTT bridge " + settings.clientId + ": message on " + topic + " not handled", e);
            }
        }

        @Override
        public void deliveryComplete(IMqttDeliveryToken token) {
        }
    }

    private void onMessage(String topic, MqttMessage message) {
        if (!topic.startsWith(settings.prefix + "/")) return;
        String rest = topic.substring(settings.prefix.length() + 1);
        int slash = rest.indexOf('/');
        if (slash < 0) return;
        PartPublisher p = parts.get(rest.substring(0, slash));
        if (p == null) return;
        RetainedScan s = scan;
        if (s != null && s.part().equals(p.part())) s.offer(topic, message);
        if (topic.equals(topics.primary(p.part()))) {
            if (!message.isRetained()) onPrimaryAnnounced(p, message.getPayload());
            return;
        }
        if (settings.commandsEnabled) {
            Topics.Parsed parsed = topics.parse(p.part(), topic);
            if (parsed.kind() == Topics.Kind.COMMAND) commands.handle(p, parsed.key(), message.getPayload(), message.isRetained());
        }
    }

    /** A live (not retained) $primary from another node, naming a later view, fences this one. */
    private void onPrimaryAnnounced(PartPublisher p, byte[] payload) {
        try {
            Map<String, Object> m = Json.parseFlatObject(new String(payload, StandardCharsets.UTF_8));
            if (m.get("node") instanceof Json.Number n && m.get("view") instanceof Json.Number v) {
                int node = Integer.parseInt(n.text());
                if (node != settings.node) p.fence(node, Long.parseLong(v.text()));
            }
        } catch (IllegalArgumentException e) {
            // not one of ours; nothing to learn from it
        }
    }
}
