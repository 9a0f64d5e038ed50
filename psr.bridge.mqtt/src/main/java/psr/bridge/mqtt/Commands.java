package psr.bridge.mqtt;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import psr.api.state.Operation;
import psr.api.state.PartState;
import psr.api.state.Value;

/**
 * Turns commands into replicated writes, at the serving primary only, when the key is on the allow-list: plain
 * {@code <prefix>/<part>/<key>/set} messages, and the metrics of Sparkplug NCMD/DCMD messages. A command that is not allowed, too large, retained, not parseable or of the wrong type
 * is dropped before it reaches consensus, counted ({@code commands.refused.<reason>}) and logged once per key and
 * reason with what was wrong. Called on the MQTT callback thread; never throws.
 */
final class Commands {
    /** How many distinct key/reason pairs are remembered for logging once; later new ones are counted only. */
    static final int LOGGED_MAX = 10_000;

    private final BridgeSettings settings;
    private final BridgeLog log;
    private final Counters counters;
    private final Set<String> logged = ConcurrentHashMap.newKeySet();

    Commands(BridgeSettings settings, BridgeLog log, Counters counters) {
        this.settings = settings;
        this.log = log;
        this.counters = counters;
    }

    /** A plain-mode command: {@code <prefix>/<part>/<key>/set} with a JSON payload. */
    void handle(PartPublisher p, String key, byte[] payload, boolean retained) {
        if (!p.serving()) {
            counters.add("commands.ignored.not-primary"); // every node's bridge hears it; the primary's acts
            return;
        }
        if (!admit(p.part(), key, payload.length, retained)) return;
        Value value;
        try {
            value = Payloads.command(payload, p.current(key), System.currentTimeMillis());
        } catch (Payloads.Refused e) {
            refuse(p.part(), key, e.reason, e.getMessage());
            return;
        }
        write(p.state(), key, value);
    }

    /** The checks every command passes before its payload is read: not retained, allowed, not too large. */
    boolean admit(String part, String key, int bytes, boolean retained) {
        if (retained) {
            refuse(part, key, "retained", "a command must not be retained (it would run again on every reconnect); publish it with retain false");
            return false;
        }
        if (!settings.commandsEnabled || !settings.commandAllowed(key)) {
            refuse(part, key, "not-allowed", settings.commandsEnabled ? "key is not in commands.allow " + settings.commandsAllow : "commands.enabled is false");
            return false;
        }
        if (bytes > settings.commandsMaxBytes) {
            refuse(part, key, "too-large", bytes + " bytes; at most commands.max.bytes = " + settings.commandsMaxBytes);
            return false;
        }
        return true;
    }

    /** Submits the write a command asked for; counts how it ended. */
    void write(PartState state, String key, Value value) {
        Operation op;
        try {
            op = Operation.put(key, value);
        } catch (IllegalArgumentException e) {
            refuse(state.part(), key, "bad-key", e.getMessage());
            return;
        }
        state.submit(op).whenComplete((result, error) -> {
            if (error == null) {
                counters.add("commands.accepted");
            } else {
                counters.add("commands.failed");
                logOnce(state.part(), key, "failed", "the write did not complete: " + error.getMessage());
            }
        });
    }

    void refuse(String part, String key, String reason, String detail) {
        counters.add("commands.refused." + reason);
        logOnce(part, key, reason, detail);
    }

    private void logOnce(String part, String key, String reason, String detail) {
        String id = part + "\u0000" + key + "\u0000" + reason;
        if (logged.contains(id)) return;
        if (logged.size() >= LOGGED_MAX) {
            if (logged.add("\u0000full")) log.warn("commands: " + LOGGED_MAX + " distinct refused keys logged; further ones are only counted");
            return;
        }
        if (logged.add(id)) {
            log.warn("part " + part + ": command for key '" + key + "' dropped (" + reason + "): " + detail
                    + " (logged once per key and reason; counted in commands.refused." + reason + ")");
        }
    }
}
