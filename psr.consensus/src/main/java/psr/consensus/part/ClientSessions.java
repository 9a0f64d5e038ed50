package psr.consensus.part;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import psr.api.state.NotPrimaryException;
import psr.api.state.OutcomeUnknownException;
import psr.api.state.StateException;
import psr.consensus.core.Effects;
import psr.consensus.core.LogEntry;
import psr.consensus.core.Request;

/**
 * The client side of a part on one node: a fixed pool of client sessions through which writes and linearizable reads
 * made here reach the group's log, with the retries, deadlines and outcome rules that give at-most-once execution.
 *
 * <p>A session has one request outstanding at a time, so the group's client table can tell a retry from a new
 * request. Its first request through the log registers it ({@link LogEntry#REGISTER}); an evicted session starts over
 * under a new id, but the request that found it evicted is failed, never resubmitted. How an answer is reported:
 * committed, {@link StateException} when it certainly did not execute, {@link OutcomeUnknownException} when it may have.
 *
 * <p>Loop thread only (the part's event loop), except {@link #newRequest}, which any thread may call.
 */
final class ClientSessions {
    static final int SESSIONS = 64;
    private static final byte[] NO_COMMAND = new byte[0];

    /** Where requests go; implemented by the part runtime on top of its replica. Loop thread. */
    interface Route {
        /** Why this replica knows that nothing submitted here can commit now, or null when it might. */
        String cannotCommit();

        boolean servingPrimary();

        /** Hands {@code request} to this node's replica, which is the serving primary. */
        void submitHere(Request request);

        /** The node id of the primary when it is known and not this node, else -1. */
        int remotePrimaryNode();

        /** Forwards a request to {@code node}, the primary. */
        void forward(int node, long clientId, long requestNumber, byte[] command);

        /** Why there is no primary to send to now, for a timeout's message. */
        String noPrimaryReason();
    }

    /** One request from its submission until it is answered. */
    static final class Pending {
        final byte[] command;
        final CompletableFuture<Effects.Reply> future = new CompletableFuture<>();
        long deadlineTick = -1; // set on the loop when the request arrives there
        Session session;
        long requestNumber;
        /** True while the session this request waits on is being registered (the request itself not yet sent). */
        boolean registering;
        boolean everSent;
        /** How often the request itself was handed to a primary: once means at most one copy can be in the log. */
        int sends;
        long lastSentTick = Long.MIN_VALUE / 2;
        String lastProblem = "";
        /** Set by the loop when it takes the request: from then on it may be sent, so only "unknown" is a safe answer from elsewhere. */
        volatile boolean claimed;

        Pending(byte[] command) {
            this.command = command;
        }

        RequestKey key() {
            return new RequestKey(session.clientId, requestNumber);
        }
    }

    record RequestKey(long clientId, long requestNumber) {}

    private final class Session {
        long clientId = ids.newClientId();
        long requestNumber;
        boolean registered;
        Pending current;

        void startOver() {
            clientId = ids.newClientId();
            requestNumber = 0;
            registered = false;
        }
    }

    /** Client ids: random, never 0 (reserved). */
    interface ClientIds {
        long newClientId();
    }

    private final Supplier<PartSettings> settings;
    private final Route route;
    private final ClientIds ids;
    private final Session[] sessions = new Session[SESSIONS];
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private final HashMap<RequestKey, Pending> pending = new HashMap<>();
    /** True while {@link #drainWaiting} hands free sessions out: a request failed on the way must not start another round. */
    private boolean draining;
    private long ticks;

    ClientSessions(Supplier<PartSettings> settings, Route route, ClientIds ids) {
        this.settings = settings;
        this.route = route;
        this.ids = ids;
        for (int i = 0; i < SESSIONS; i++) sessions[i] = new Session();
    }

    /** A request for {@code command}; nothing happens until {@link #enqueue} on the loop. Any thread. */
    static Pending newRequest(byte[] command) {
        return new Pending(command);
    }

    /** Takes a request in: its deadline starts now; it goes out at once when a session is free. */
    void enqueue(Pending p) {
        PartSettings s = settings.get();
        p.deadlineTick = ticks + s.ticks(s.requestTimeoutMs());
        for (Session session : sessions) {
            if (session.current == null) {
                assign(session, p);
                dispatch(p);
                return;
            }
        }
        waiting.addLast(p);
    }

    /** The clock: retries and deadlines are counted in the replica's ticks. */
    void tick(long now) {
        ticks = now;
        checkRequests();
    }

    boolean idle() {
        return pending.isEmpty() && waiting.isEmpty();
    }

    private void assign(Session s, Pending p) {
        s.current = p;
        p.session = s;
        p.registering = !s.registered;
        p.requestNumber = p.registering ? LogEntry.REGISTER : ++s.requestNumber;
        pending.put(p.key(), p);
    }

    /** The session of {@code p} was registered at op {@code registeredAt}: now send the request itself, numbered above it. */
    private void registered(Pending p, long registeredAt) {
        pending.remove(p.key());
        Session s = p.session;
        s.registered = true;
        s.requestNumber = registeredAt;
        p.registering = false;
        p.requestNumber = ++s.requestNumber;
        pending.put(p.key(), p);
        dispatch(p);
    }

    private byte[] wireCommand(Pending p) {
        return p.registering ? NO_COMMAND : p.command;
    }

    private static void markSent(Pending p) {
        if (p.registering) return; // a registration alone cannot execute the request
        p.everSent = true;
        p.sends++;
    }

    private void dispatch(Pending p) {
        PartSettings s = settings.get();
        p.lastSentTick = ticks;
        if (!p.everSent) {
            String why = route.cannotCommit();
            if (why != null) {
                fail(p, new StateException("part " + s.part() + ": " + why + "; not committed"));
                return;
            }
        }
        if (route.servingPrimary()) {
            markSent(p);
            route.submitHere(new Request(p.session.clientId, p.requestNumber, wireCommand(p)));
            return;
        }
        int primaryNode = route.remotePrimaryNode();
        if (!s.forwardWrites()) {
            NotPrimaryException notHere = new NotPrimaryException(s.part(), primaryNode, "forward.writes is false");
            // Sent before (to our replica when it led, or forwarded before forwarding was switched off): it may still
            // commit there, so it must not be reported as certainly not done.
            fail(p, p.everSent ? new OutcomeUnknownException(notHere.getMessage() + "; it was sent before and may or may not have committed") : notHere);
            return;
        }
        if (primaryNode >= 0) {
            markSent(p);
            route.forward(primaryNode, p.session.clientId, p.requestNumber, wireCommand(p));
        } else {
            p.lastProblem = route.noPrimaryReason();
        }
    }

    /** An answer from this node's replica ({@code fromNode} is this node) or from the primary a request was forwarded to. */
    void onReply(Effects.Reply reply, int fromNode) {
        RequestKey key = new RequestKey(reply.clientId(), reply.requestNumber());
        Pending p = pending.get(key);
        if (p == null) return; // answered already, or timed out
        PartSettings s = settings.get();
        switch (reply.outcome()) {
            case OK -> {
                if (p.registering) registered(p, reply.op()); else complete(p, reply);
            }
            case NOT_PRIMARY -> {
                p.lastProblem = "node " + fromNode + " is not the primary";
                if (!s.forwardWrites() && fromNode == s.node()) {
                    // Our own replica took the request as primary and then stopped serving (deposed, abdicated): it is
                    // in the log of some backups and may still commit. Not forwarding, we cannot follow it.
                    fail(p, new OutcomeUnknownException("part " + s.part() + ": node " + s.node() + " stopped being the"
                            + " primary after it took the operation (forward.writes is false, so it is not followed to the new"
                            + " primary); it may or may not have committed"));
                } else {
                    p.lastSentTick = Long.MIN_VALUE / 2; // retry on the next tick
                }
            }
            case EVICTED, STALE_REQUEST -> {
                // The session was evicted from the group's client table (STALE: and registered again under the same id
                // by a late copy of its registration, numbered above ours). Sent once, the request is in the log at
                // most once, and that copy did not execute; sent more often, an earlier copy may have executed before
                // the eviction. Either way it is not resubmitted: the caller decides. The session starts over.
                pending.remove(key);
                p.session.startOver();
                pending.put(p.key(), p);
                String why = "part " + s.part() + ": the client session was evicted from the client table (client.table.capacity sessions are kept)";
                fail(p, p.sends <= 1 ? new StateException(why + "; the operation did not execute")
                        : new OutcomeUnknownException(why + " while the operation was being retried; it may or may not have executed"));
            }
            case BUSY -> {
                p.lastProblem = "the primary is busy: backups have not caught up with its uncommitted operations";
                p.lastSentTick = ticks; // retry after the usual interval
            }
        }
    }

    /*
     * Both answer first and only then free the session: handing it on dispatches the next request, which may throw (the
     * driver does when storage fails), and an answer not yet given would then be lost with the request out of the table.
     */
    private void complete(Pending p, Effects.Reply reply) {
        if (p.future.isDone()) return; // answered already (e.g. failed at its deadline in the same pass)
        p.future.complete(reply);
        release(p);
    }

    private void fail(Pending p, StateException e) {
        if (p.future.isDone()) return; // a second release would free a session another request now holds
        p.future.completeExceptionally(e);
        release(p);
    }

    private void release(Pending p) {
        if (p.session == null) {
            waiting.remove(p);
            return;
        }
        pending.remove(p.key());
        p.session.current = null;
        drainWaiting();
    }

    /**
     * Gives free sessions to waiting requests, in order, iteratively: dispatching one may fail it at once (this replica
     * cannot commit), which frees its session again; recursing there would be as deep as the queue.
     */
    private void drainWaiting() {
        if (draining) return;
        draining = true;
        try {
            while (!waiting.isEmpty()) {
                Session free = null;
                for (Session s : sessions) {
                    if (s.current == null) {
                        free = s;
                        break;
                    }
                }
                if (free == null) return;
                Pending next = waiting.pollFirst();
                assign(free, next);
                dispatch(next);
            }
        } finally {
            draining = false;
        }
    }

    private void checkRequests() {
        if (idle()) return;
        PartSettings s = settings.get();
        int retryTicks = s.ticks(s.heartbeatMs() * 2);
        List<Pending> all = new ArrayList<>(pending.values());
        all.addAll(waiting);
        for (Pending p : all) {
            if (ticks >= p.deadlineTick) {
                String waited = s.requestTimeoutMs() + " ms (request.timeout.ms)";
                if (p.everSent) {
                    fail(p, new OutcomeUnknownException("part " + s.part() + ": no answer within " + waited
                            + "; the operation may or may not have committed" + (p.lastProblem.isEmpty() ? "" : " (" + p.lastProblem + ")")));
                } else {
                    fail(p, new StateException("part " + s.part() + ": no serving primary within " + waited
                            + "; not committed" + (p.lastProblem.isEmpty() ? "" : " (" + p.lastProblem + ")")));
                }
            } else if (p.session != null && ticks - p.lastSentTick >= retryTicks) {
                dispatch(p);
            }
        }
    }

    /**
     * Fails every request with {@code e}, or, for one that was sent (it may execute yet), with an unknown outcome. Those
     * waiting for a session go first: failing one that holds a session frees it, and with a request still waiting that
     * would send it now (to a replica that stops) and leave it out of this pass.
     */
    void failAll(StateException e) {
        for (Pending p : new ArrayList<>(waiting)) fail(p, e);
        for (Pending p : new ArrayList<>(pending.values())) {
            fail(p, p.everSent ? new OutcomeUnknownException(e.getMessage() + " after the operation was sent; it may or may not have committed") : e);
        }
    }
}
