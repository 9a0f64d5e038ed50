package psr.consensus.part;

import java.util.ArrayList;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.runtime.ServiceComponentRuntime;

import psr.api.state.Change;
import psr.api.state.ChangeListener;
import psr.api.state.KeyChange;
import psr.api.state.Operation;
import psr.api.state.OperationResult;
import psr.api.state.PartState;
import psr.api.state.PartStatus;
import psr.api.state.PeerStatus;
import psr.api.state.ReadConsistency;
import psr.api.state.Value;
import psr.api.state.ValueType;

/**
 * Gogo shell commands for operators: {@code psr:parts}, {@code psr:status}, {@code psr:get}, {@code psr:put},
 * {@code psr:delete}, {@code psr:watch}. Output is for people; {@code -1} gives one line per record with
 * {@code name=value} fields for scripts.
 */
@Component(service = PsrCommands.class, property = {"osgi.command.scope=psr",
        "osgi.command.function=parts", "osgi.command.function=status", "osgi.command.function=get",
        "osgi.command.function=put", "osgi.command.function=delete", "osgi.command.function=watch",
        "osgi.command.function=transport", "osgi.command.function=transfer", "osgi.command.function=cas"})
public final class PsrCommands {

    private static final long WAIT_SECONDS = 10;
    private final ConcurrentSkipListMap<String, PartState> parts = new ConcurrentSkipListMap<>();
    private final java.util.concurrent.CopyOnWriteArrayList<psr.api.transport.Transport> transports = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final BundleContext context;

    @Activate
    public PsrCommands(BundleContext context) {
        this.context = context;
    }

    /** Declarative Services, to say which configured parts do not run and why (optional: without it, only running parts show). */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile ServiceComponentRuntime scr;

    /**
     * The platform's clock (the OSAL backend's), for the source timestamp of values written from the shell: on VxWorks
     * the kernel's time, which the plant's other devices are set to, rather than the JVM's idea of it. Without an OSAL
     * backend, the JVM's clock.
     */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    volatile psr.api.osal.Clock clock;

    long now() {
        psr.api.osal.Clock c = clock;
        return c != null ? c.wallMillis() : System.currentTimeMillis();
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addPart(PartState part) {
        parts.put(part.part(), part);
    }

    void removePart(PartState part) {
        parts.remove(part.part(), part);
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void addTransport(psr.api.transport.Transport transport) {
        transports.add(transport);
    }

    void removeTransport(psr.api.transport.Transport transport) {
        transports.remove(transport);
    }

    /** psr:transport [-1] — each transport's counters: sent, received, and every drop by reason. */
    public String transport(String... args) {
        Args a = new Args(args, 0, 0, "psr:transport [-1]");
        if (transports.isEmpty()) return "no transport on this node (configure one, e.g. deploy/psr.transport.udp.cfg)";
        StringBuilder b = new StringBuilder();
        for (psr.api.transport.Transport t : transports) {
            Map<String, Long> counters = new TreeMap<>(t.counters());
            if (a.oneLine) {
                b.append("node=").append(t.localNode());
                counters.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
                b.append('\n');
            } else {
                b.append("transport of node ").append(t.localNode()).append(" (").append(t.getClass().getSimpleName()).append(")\n");
                counters.forEach((k, v) -> b.append(String.format("  %-24s %d%n", k, v)));
            }
        }
        return b.toString().stripTrailing();
    }

    /** psr:parts [-1] — the parts on this node with role, view and primary. */
    public String parts(String... args) {
        Args a = new Args(args, 0, 0, "psr:parts [-1]");
        List<ConfiguredParts.NotRunning> notRunning = notRunning();
        if (parts.isEmpty() && notRunning.isEmpty()) return "no parts configured on this node (add a psr.part-<name>.cfg to the deploy folder)";
        StringBuilder b = new StringBuilder();
        if (!a.oneLine) b.append(String.format("%-20s %-20s %6s %8s %10s %10s%n", "PART", "ROLE", "VIEW", "PRIMARY", "OP", "COMMIT"));
        for (PartState p : parts.values()) {
            PartStatus s = p.status();
            if (a.oneLine) {
                b.append(String.format("part=%s role=%s view=%d primary=%d op=%d commit=%d%n", s.part(), s.role(), s.view(), s.primaryNode(), s.opNumber(), s.commitNumber()));
            } else {
                b.append(String.format("%-20s %-20s %6d %8d %10d %10d%n", s.part(), s.role(), s.view(), s.primaryNode(), s.opNumber(), s.commitNumber()));
            }
            appendRefusedChange(b, s.part(), a.oneLine);
        }
        appendNotRunning(b, notRunning, a.oneLine);
        return b.toString().stripTrailing();
    }

    private List<ConfiguredParts.NotRunning> notRunning() {
        ServiceComponentRuntime runtime = scr;
        if (runtime == null) return List.of();
        List<ConfiguredParts.NotRunning> out = new ArrayList<>();
        for (ConfiguredParts.NotRunning n : ConfiguredParts.notRunning(runtime)) if (!parts.containsKey(n.part())) out.add(n);
        return out;
    }

    /** A configuration change refused for a running part: it runs on with its previous configuration. */
    private static void appendRefusedChange(StringBuilder b, String part, boolean oneLine) {
        String refused = PartComponent.refusedChange(part);
        if (refused == null) return;
        if (oneLine) {
            b.append(String.format("part=%s warning=configuration_refused reason=\"%s\"%n", part, refused.replace("\"", "'")));
        } else {
            b.append(String.format("  %s: CONFIGURATION CHANGE REFUSED, runs with its previous configuration: %s%n", part, refused));
        }
    }

    private static void appendNotRunning(StringBuilder b, List<ConfiguredParts.NotRunning> notRunning, boolean oneLine) {
        for (ConfiguredParts.NotRunning n : notRunning) {
            if (oneLine) {
                b.append(String.format("part=%s role=NOT_RUNNING state=%s reason=\"%s\"%n", n.part(), n.state(), n.reason().replace("\"", "'")));
            } else {
                b.append(String.format("%-20s NOT RUNNING (%s): %s%n", n.part(), n.state(), n.reason()));
            }
        }
    }

    /** psr:status [-1] [part] — everything a replica knows about itself and its peers. */
    public String status(String... args) {
        Args a = new Args(args, 0, 1, "psr:status [-1] [part]");
        List<PartState> selected = new ArrayList<>();
        List<ConfiguredParts.NotRunning> notRunning = new ArrayList<>();
        if (a.positional.isEmpty()) {
            selected.addAll(parts.values());
            notRunning.addAll(notRunning());
        } else {
            selected.add(part(a.positional.get(0))); // a configured part that does not run: part() says why
        }
        StringBuilder b = new StringBuilder();
        for (PartState p : selected) {
            PartStatus s = p.status();
            StringBuilder peers = new StringBuilder();
            for (PeerStatus peer : s.peers()) {
                if (peers.length() > 0) peers.append(a.oneLine ? "," : ", ");
                peers.append(peer.node()).append(a.oneLine ? ":" : " ").append(peer.connected() ? "connected" : "not connected");
            }
            if (a.oneLine) {
                b.append(String.format("part=%s node=%d role=%s view=%d primary=%d qc=%s op=%d commit=%d lag=%d dropped=%d peers=%s refusal=\"%s\"%n",
                        s.part(), s.node(), s.role(), s.view(), s.primaryNode(), s.quorumConnected(), s.opNumber(), s.commitNumber(),
                        s.lag(), s.droppedMessages(), peers, s.refusal()));
            } else {
                b.append("part ").append(s.part()).append(" on node ").append(s.node()).append('\n')
                        .append("  role            ").append(s.role()).append('\n')
                        .append("  view            ").append(s.view()).append(s.primaryNode() < 0 ? " (no primary known)" : " (primary: node " + s.primaryNode() + ")").append("\n")
                        .append("  quorum-connected ").append(s.quorumConnected() ? "yes" : "NO").append('\n')
                        .append("  peers           ").append(peers).append('\n')
                        .append("  op / commit     ").append(s.opNumber()).append(" / ").append(s.commitNumber()).append('\n')
                        .append("  lag             ").append(s.lag()).append(" operations\n")
                        .append("  dropped         ").append(s.droppedMessages()).append(" messages\n");
                if (!s.refusal().isEmpty()) b.append("  NOT SERVING     ").append(s.refusal()).append('\n');
            }
            appendRefusedChange(b, s.part(), a.oneLine);
        }
        appendNotRunning(b, notRunning, a.oneLine);
        return b.toString().stripTrailing();
    }

    /** psr:get [-l] [-1] part [key-prefix] — a linearizable read of one key, or with -l this replica's values. */
    public String get(String... args) throws Exception {
        Args a = new Args(args, 1, 2, "psr:get [-l] [-1] part [key]   (-l: local read; without a key: all keys, local)");
        PartState p = part(a.positional.get(0));
        if (a.positional.size() == 1 || a.local) {
            String prefix = a.positional.size() > 1 ? a.positional.get(1) : "";
            Map<String, Value> values = p.readLocal(prefix);
            if (a.local && a.positional.size() > 1 && values.containsKey(prefix)) values = Map.of(prefix, values.get(prefix));
            StringBuilder b = new StringBuilder();
            for (Map.Entry<String, Value> e : new TreeMap<>(values).entrySet()) b.append(line(a, e.getKey(), e.getValue())).append('\n');
            return b.length() == 0 ? "(no keys)" : b.toString().stripTrailing();
        }
        Optional<Value> v = await(p.read(a.positional.get(1), ReadConsistency.LINEARIZABLE).toCompletableFuture());
        return v.map(value -> line(a, a.positional.get(1), value)).orElse("(absent)");
    }

    /** psr:put part key type value — e.g. psr:put boiler setpoint double 71.5 */
    public String put(String... args) throws Exception {
        Args a = new Args(args, 4, 4, "psr:put part key type value   (type: bool int32 int64 float double string bytes)", 3);
        PartState p = part(a.positional.get(0));
        Value value = Value.parse(type(a.positional.get(2)), a.positional.get(3), now());
        OperationResult r = await(p.submit(Operation.put(a.positional.get(1), value)).toCompletableFuture());
        return (a.oneLine ? "committed op=" + r.opNumber() + " view=" + r.view() : "committed at op " + r.opNumber() + " in view " + r.view());
    }

    /**
     * psr:cas [-1] part key type expected new — compare-and-set: writes {@code new} only if the key holds {@code expected};
     * psr:cas -a part key type new — only if the key is absent.
     */
    public String cas(String... args) throws Exception {
        String usage = "psr:cas [-1] part key type expected new   or   psr:cas [-1] -a part key type new   (-a: only if absent)";
        Args a = new Args(args, 4, 5, usage, 3, 4);
        if (a.positional.size() != (a.absent ? 4 : 5)) throw new IllegalArgumentException("usage: " + usage);
        PartState p = part(a.positional.get(0));
        ValueType type = type(a.positional.get(2));
        long now = now();
        Value expected = a.absent ? null : Value.parse(type, a.positional.get(3), now);
        Value next = Value.parse(type, a.positional.get(a.absent ? 3 : 4), now);
        OperationResult r = await(p.submit(Operation.compareAndSet(a.positional.get(1), expected, next)).toCompletableFuture());
        if (a.oneLine) return "committed op=" + r.opNumber() + " view=" + r.view() + " applied=" + r.applied();
        return (r.applied() ? "committed at op " : "not applied (the key did not hold " + (a.absent ? "nothing" : "the expected value")
                + "); decided at op ") + r.opNumber() + " in view " + r.view();
    }

    private static ValueType type(String text) {
        try {
            return ValueType.valueOf(text.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown type '" + text + "': expected bool, int32, int64, float, double, string or bytes");
        }
    }

    /** psr:transfer part node — maintenance switch-over: the primary (here) hands the part to the replica on node. */
    public String transfer(String... args) throws Exception {
        Args a = new Args(args, 2, 2, "psr:transfer part node   (run it on the node whose replica is the primary)");
        int node;
        try {
            node = Integer.parseInt(a.positional.get(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("node '" + a.positional.get(1) + "' is not a node id");
        }
        int leader = await(part(a.positional.get(0)).transferPrimary(node).toCompletableFuture());
        return "node " + leader + " is now the primary of " + a.positional.get(0);
    }

    /** psr:delete part key */
    public String delete(String... args) throws Exception {
        Args a = new Args(args, 2, 2, "psr:delete part key");
        OperationResult r = await(part(a.positional.get(0)).submit(Operation.delete(a.positional.get(1))).toCompletableFuture());
        return "committed at op " + r.opNumber() + " in view " + r.view();
    }

    /** psr:watch [-1] part [count] [seconds] — prints committed changes as they come (default 10 changes or 60 s). */
    public String watch(String... args) throws Exception {
        Args a = new Args(args, 1, 3, "psr:watch [-1] part [count] [seconds]");
        String name = a.positional.get(0);
        part(name);
        int count = a.positional.size() > 1 ? Integer.parseInt(a.positional.get(1)) : 10;
        int seconds = a.positional.size() > 2 ? Integer.parseInt(a.positional.get(2)) : 60;
        if (!a.oneLine) {
            System.out.println("watching part " + name + " on this node: until " + count + " changed key(s) or " + seconds
                    + " s (psr:watch part [count] [seconds]); Ctrl-C ends it");
        }
        BlockingQueue<Change> queue = new LinkedBlockingQueue<>();
        Dictionary<String, Object> props = new Hashtable<>();
        props.put("psr.part", name);
        ServiceRegistration<ChangeListener> reg = context.registerService(ChangeListener.class, queue::add, props);
        // Ctrl-C at the console ends this watch, not the controller (the launcher runs hooks carrying this property).
        Thread watching = Thread.currentThread();
        Dictionary<String, Object> hookProps = new Hashtable<>();
        hookProps.put("psr.console.interrupt", "true");
        // Not for a watch run through the command socket (--exec): Ctrl-C at the console is not its user's.
        ServiceRegistration<Runnable> interruptHook = watching.getName().startsWith("psr-exec") ? null
                : context.registerService(Runnable.class, watching::interrupt, hookProps);
        int seen = 0;
        boolean interrupted = false;
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (seen < count) {
                Change c = queue.poll(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (c == null) break;
                for (KeyChange k : c.changes()) {
                    seen++;
                    // The same value format as psr:get, after the op and view.
                    String what = k.newValue() == null ? (a.oneLine ? "key=" + k.key() + " deleted=true" : k.key() + " (deleted)")
                            : line(a, k.key(), k.newValue());
                    System.out.printf(a.oneLine ? "op=%d view=%d %s%n" : "op %-8d view %-4d %s%n", c.opNumber(), c.view(), what);
                    System.out.flush();
                }
            }
        } catch (InterruptedException e) {
            interrupted = true;
        } finally {
            if (interruptHook != null) interruptHook.unregister();
            reg.unregister();
            Thread.interrupted(); // a late interrupt must not hit the shell's next command
        }
        return seen + " change(s)" + (interrupted ? " (watch ended by Ctrl-C)" : "");
    }

    private PartState part(String name) {
        PartState p = parts.get(name);
        if (p != null) return p;
        for (ConfiguredParts.NotRunning n : notRunning()) {
            if (n.part().equals(name)) {
                throw new IllegalArgumentException("no part '" + name + "' running on this node: it is configured but " + n.state()
                        + ": " + n.reason());
            }
        }
        throw new IllegalArgumentException("no part '" + name + "' on this node; parts here: " + (parts.isEmpty() ? "none" : String.join(", ", parts.keySet())));
    }

    /** A value for scripts: strings in double quotes with \\ and " escaped (so spaces and '=' cannot split a field), the rest as text. */
    static String scriptText(Value v) {
        if (v.type() != ValueType.STRING) return v.text();
        return "\"" + v.asString().replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    private static String line(Args a, String key, Value v) {
        return a.oneLine ? "key=" + key + " type=" + v.type().name().toLowerCase() + " value=" + scriptText(v) + " timestamp=" + v.timestamp()
                : String.format("%-32s %-7s %s%s", key, v.type().name().toLowerCase(), v.text(), v.timestamp() != 0 ? "  (" + java.time.Instant.ofEpochMilli(v.timestamp()) + ")" : "");
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f) throws Exception {
        try {
            return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        } catch (TimeoutException e) {
            throw new TimeoutException("no answer within " + WAIT_SECONDS + " s; the operation may still complete");
        }
    }

    /** Flags and positional arguments of one command. */
    private static final class Args {
        boolean oneLine;
        boolean local;
        final List<String> positional = new ArrayList<>();

        boolean absent;

        private static final List<String> OPTIONS = List.of("-1", "-l", "--local", "-a", "--absent");

        /**
         * Options are taken only before the first positional argument (and not after {@code --}). After it, an
         * option-like word is a value only in the positions {@code valueSlots} name (a value such as {@code -1} in
         * {@code psr:put boiler offset int32 -1}); anywhere else it is refused, so that {@code psr:get boiler -l} cannot
         * silently read a key "-l". A key that looks like an option is written after {@code --}.
         */
        Args(String[] args, int min, int max, String usage, int... valueSlots) {
            boolean options = true;
            boolean literal = false;
            for (String s : args == null ? new String[0] : args) {
                if (options && s.equals("--")) {
                    options = false;
                    literal = true;
                } else if (options && s.equals("-1")) oneLine = true;
                else if (options && (s.equals("-l") || s.equals("--local"))) local = true;
                else if (options && (s.equals("-a") || s.equals("--absent"))) absent = true;
                else {
                    options = false;
                    int slot = positional.size();
                    if (!literal && OPTIONS.contains(s) && java.util.Arrays.stream(valueSlots).noneMatch(v -> v == slot)) {
                        throw new IllegalArgumentException("option " + s + " must come before the part (usage: " + usage
                                + "); to use '" + s + "' as a key, write -- before the arguments");
                    }
                    positional.add(s);
                }
            }
            if (positional.size() < min || positional.size() > max) throw new IllegalArgumentException("usage: " + usage);
        }
    }
}
