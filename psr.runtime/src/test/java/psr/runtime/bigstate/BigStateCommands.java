package psr.runtime.bigstate;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.Hashtable;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;

import psr.api.state.Operation;
import psr.api.state.OperationResult;
import psr.api.state.PartState;
import psr.api.state.StateException;
import psr.api.state.Value;

/**
 * A small control application that {@code BigStateIT} packs into a bundle and drops into a node's deploy folder: it
 * binds to a part's {@link PartState} service like any application and adds two shell commands,
 * {@code bigstate:fill part keys bytes} (writes {@code keys} keys of {@code bytes} pseudo-random bytes each, a few
 * writes in flight) and {@code bigstate:digest part} (a SHA-256 over this replica's committed keys and values, read
 * locally). Not part of the runtime: test code only.
 */
public final class BigStateCommands implements BundleActivator {
    /** Writes in flight at once: the primary holds at most half its message budget uncommitted anyway. */
    static final int WINDOW = 4;
    /** Puts submitted again after an unknown outcome, at most, before fill gives up. */
    static final int MAX_RETRIES = 1000;

    private BundleContext context;
    private ServiceRegistration<?> registration;

    @Override
    public void start(BundleContext context) {
        this.context = context;
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("osgi.command.scope", "bigstate");
        props.put("osgi.command.function", new String[] {"fill", "digest", "verify"});
        registration = context.registerService(Object.class, new Commands(), props);
    }

    @Override
    public void stop(BundleContext context) {
        registration.unregister();
    }

    /** The value of key number {@code i}: the same bytes on every run. */
    static byte[] valueOf(int i, int bytes) {
        byte[] b = new byte[bytes];
        new SplittableRandom(0x5EED0000L + i).nextBytes(b);
        return b;
    }

    static String keyOf(int i) {
        return String.format("big/%05d", i);
    }

    /** The commands; public so that Gogo can call them. */
    public final class Commands {
        /**
         * Writes the keys, {@link #WINDOW} in flight. A put whose outcome is unknown (a view change while it was in
         * flight, say) is submitted again, as a control application would: the same put twice leaves the same state.
         * The answer says how many were retried and the view the part ended in.
         */
        public String fill(String part, int keys, int bytes) throws Exception {
            PartState p = part(part);
            long start = System.nanoTime();
            Deque<Map.Entry<Integer, CompletableFuture<OperationResult>>> inFlight = new ArrayDeque<>();
            long lastOp = 0;
            long lastView = 0;
            int retries = 0;
            StringBuilder reasons = new StringBuilder();
            int next = 0;
            while (next < keys || !inFlight.isEmpty()) {
                if (next < keys && inFlight.size() < WINDOW) {
                    inFlight.add(Map.entry(next, submit(p, next, bytes)));
                    next++;
                    continue;
                }
                Map.Entry<Integer, CompletableFuture<OperationResult>> first = inFlight.removeFirst();
                try {
                    OperationResult r = first.getValue().get(60, TimeUnit.SECONDS);
                    lastOp = Math.max(lastOp, r.opNumber());
                    lastView = Math.max(lastView, r.view());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof StateException) || ++retries > MAX_RETRIES) throw e;
                    if (reasons.length() < 2000) reasons.append("\n  retried key ").append(first.getKey()).append(": ").append(e.getCause().getMessage());
                    inFlight.addFirst(Map.entry(first.getKey(), submit(p, first.getKey(), bytes)));
                }
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            return String.format("bigstate filled keys=%d bytes=%d lastop=%d view=%d retried=%d ms=%d%s", keys, (long) keys * bytes, lastOp,
                    lastView, retries, ms, reasons);
        }

        private CompletableFuture<OperationResult> submit(PartState p, int i, int bytes) {
            return p.submit(Operation.put(keyOf(i), Value.ofBytes(valueOf(i, bytes)))).toCompletableFuture();
        }

        public String digest(String part) throws Exception {
            PartState p = part(part);
            Map<String, Value> values = new TreeMap<>(p.readLocal(""));
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long bytes = 0;
            for (Map.Entry<String, Value> e : values.entrySet()) {
                byte[] k = e.getKey().getBytes(StandardCharsets.UTF_8);
                Value v = e.getValue();
                byte[] raw = v.rawBytes();
                sha.update(ByteBuffer.allocate(4 + k.length + 4 + 8).putInt(k.length).put(k).putInt(v.type().ordinal()).putLong(v.rawBits()).array());
                if (raw != null) {
                    sha.update(ByteBuffer.allocate(4).putInt(raw.length).array());
                    sha.update(raw);
                    bytes += raw.length;
                }
            }
            StringBuilder hex = new StringBuilder();
            for (byte b : sha.digest()) hex.append(String.format("%02x", b));
            return String.format("bigstate digest keys=%d bytes=%d sha256=%s", values.size(), bytes, hex);
        }

        /** Checks that this replica holds exactly what fill wrote: every key, every byte. */
        public String verify(String part, int keys, int bytes) {
            PartState p = part(part);
            Map<String, Value> values = p.readLocal("");
            int wrong = 0;
            for (int i = 0; i < keys; i++) {
                Value v = values.get(keyOf(i));
                if (v == null || !java.util.Arrays.equals(v.rawBytes(), valueOf(i, bytes))) wrong++;
            }
            return String.format("bigstate verify keys=%d present=%d wrong=%d", keys, values.size(), wrong);
        }

        private PartState part(String name) {
            try {
                Collection<ServiceReference<PartState>> refs = context.getServiceReferences(PartState.class, "(psr.part=" + name + ")");
                if (refs.isEmpty()) throw new IllegalArgumentException("no part '" + name + "'");
                return context.getService(refs.iterator().next());
            } catch (org.osgi.framework.InvalidSyntaxException e) {
                throw new IllegalArgumentException(e);
            }
        }
    }
}
