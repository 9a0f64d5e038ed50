package psr.consensus.part;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;

import org.junit.jupiter.api.Test;

import psr.api.state.NotPrimaryException;
import psr.api.state.OutcomeUnknownException;
import psr.api.state.StateException;
import psr.consensus.core.Effects;
import psr.consensus.core.Effects.Outcome;
import psr.consensus.core.LogEntry;
import psr.consensus.core.Request;

/** The client sessions' rules, against a scripted route: what is sent where, and what each answer means to the caller. */
class ClientSessionsTest {
    final Map<String, Object> props = new HashMap<>(Map.of("part", "boiler", "node", 2, "replicas", "1,2,3", "storage.directory", "/d",
            "tick.ms", 10, "heartbeat.ms", 20, "request.timeout.ms", 1000));
    PartSettings settings = PartSettings.from(props);
    final List<Request> submitted = new ArrayList<>();
    final List<String> forwarded = new ArrayList<>();
    String cannotCommit;
    boolean primaryHere = true;
    int remotePrimary = -1;
    long nextId = 100;
    /** When set, handing a request to this node's replica throws it (as the driver does when storage fails). */
    RuntimeException submitFails;
    final ClientSessions sessions = new ClientSessions(() -> settings, new ClientSessions.Route() {
        @Override public String cannotCommit() { return cannotCommit; }
        @Override public boolean servingPrimary() { return primaryHere; }
        @Override public void submitHere(Request r) {
            if (submitFails != null) throw submitFails;
            submitted.add(r);
        }
        @Override public int remotePrimaryNode() { return remotePrimary; }
        @Override public String noPrimaryReason() { return "view change to view 2 in progress"; }
        @Override public void forward(int node, long clientId, long requestNumber, byte[] command) {
            forwarded.add(node + ":" + clientId + "/" + requestNumber + "/" + command.length);
        }
    }, () -> nextId++);

    static ClientSessions.Pending request(int bytes) {
        return ClientSessions.newRequest(new byte[bytes]);
    }

    static Effects.Reply reply(Request r, Outcome outcome, long op) {
        return new Effects.Reply(r.clientId(), r.requestNumber(), outcome, outcome == Outcome.OK ? new byte[] {0} : null, -1, op, 1);
    }

    static Throwable failure(ClientSessions.Pending p) {
        assertTrue(p.future.isCompletedExceptionally(), "failed");
        try {
            p.future.get();
            throw new AssertionError("not failed");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aSessionRegistersFirstThenNumbersItsRequestsAboveTheRegistration() throws Exception {
        ClientSessions.Pending p = request(3);
        sessions.enqueue(p);
        assertEquals(1, submitted.size());
        Request registration = submitted.get(0);
        assertEquals(100, registration.clientId());
        assertEquals(LogEntry.REGISTER, registration.requestNumber());
        assertEquals(0, registration.command().length, "a registration carries no command, so it cannot execute the request");
        sessions.onReply(reply(registration, Outcome.OK, 41), 2);
        Request real = submitted.get(1);
        assertEquals(42, real.requestNumber(), "numbered above the op that registered the session");
        assertEquals(3, real.command().length);
        sessions.onReply(reply(real, Outcome.OK, 57), 2);
        assertEquals(57, p.future.get().op());

        ClientSessions.Pending next = request(1);
        sessions.enqueue(next);
        assertEquals(43, submitted.get(2).requestNumber(), "the registered session goes on without registering again");
        assertEquals(100, submitted.get(2).clientId());
    }

    @Test
    void aBackupForwardsToThePrimaryOrFailsAtOnceNamingItWhenForwardingIsOff() {
        primaryHere = false;
        remotePrimary = 1;
        sessions.enqueue(request(2));
        assertEquals(List.of("1:100/" + LogEntry.REGISTER + "/0"), forwarded);

        props.put("forward.writes", false);
        settings = PartSettings.from(props);
        ClientSessions.Pending p = request(2);
        sessions.enqueue(p);
        NotPrimaryException e = assertInstanceOf(NotPrimaryException.class, failure(p));
        assertEquals(1, e.primaryNode());
    }

    @Test
    void aReplicaThatKnowsItCannotCommitFailsANewRequestAtOnceAsNotCommitted() {
        cannotCommit = "node 2 is not quorum-connected";
        ClientSessions.Pending p = request(2);
        sessions.enqueue(p);
        Throwable e = failure(p);
        assertFalse(e instanceof OutcomeUnknownException);
        assertEquals("part boiler: node 2 is not quorum-connected; not committed", e.getMessage());
        assertTrue(sessions.idle(), "its session is free again");
    }

    @Test
    void anEvictedSessionFailsItsRequestAsNotExecutedWhenSentOnceAndAsUnknownWhenRetried() {
        ClientSessions.Pending once = request(2);
        sessions.enqueue(once);
        sessions.onReply(reply(submitted.get(0), Outcome.OK, 10), 2);
        Request sent = submitted.get(1);
        sessions.onReply(reply(sent, Outcome.EVICTED, -1), 2);
        Throwable e = failure(once);
        assertFalse(e instanceof OutcomeUnknownException, e.toString());
        assertTrue(e.getMessage().endsWith("the operation did not execute"), e.getMessage());

        ClientSessions.Pending twice = request(2);
        sessions.enqueue(twice);
        Request registration = submitted.get(2);
        assertEquals(100 + ClientSessions.SESSIONS, registration.clientId(), "the evicted session starts over under a new id (after the pool's first ids)");
        sessions.onReply(reply(registration, Outcome.OK, 20), 2);
        sessions.onReply(reply(submitted.get(3), Outcome.NOT_PRIMARY, -1), 2);
        sessions.tick(1); // the retry after NOT_PRIMARY
        assertEquals(5, submitted.size(), "sent a second time");
        sessions.onReply(reply(submitted.get(4), Outcome.EVICTED, -1), 2);
        assertInstanceOf(OutcomeUnknownException.class, failure(twice), "an earlier copy may have executed");
    }

    @Test
    void atItsDeadlineARequestNeverSentIsNotCommittedAndOneSentIsUnknown() {
        primaryHere = false; // no primary known: nothing is sent
        ClientSessions.Pending neverSent = request(2);
        sessions.enqueue(neverSent);
        primaryHere = true;
        ClientSessions.Pending sent = request(2);
        sessions.enqueue(sent);
        sessions.onReply(reply(submitted.get(0), Outcome.OK, 5), 2); // registered; the request itself is now out
        primaryHere = false;
        sessions.tick(100); // request.timeout.ms 1000 = 100 ticks of 10 ms
        Throwable notSent = failure(neverSent);
        assertEquals(StateException.class, notSent.getClass());
        assertEquals("part boiler: no serving primary within 1000 ms (request.timeout.ms); not committed (view change to view 2 in progress)",
                notSent.getMessage());
        assertInstanceOf(OutcomeUnknownException.class, failure(sent));
    }

    @Test
    void requestsBeyondTheSessionPoolWaitTheirTurnInOrder() throws Exception {
        List<ClientSessions.Pending> all = new ArrayList<>();
        for (int i = 0; i < ClientSessions.SESSIONS + 1; i++) {
            ClientSessions.Pending p = request(1);
            all.add(p);
            sessions.enqueue(p);
        }
        assertEquals(ClientSessions.SESSIONS, submitted.size(), "one registration per session; the last request waits");
        sessions.onReply(reply(submitted.get(0), Outcome.OK, 1), 2);
        sessions.onReply(reply(submitted.get(ClientSessions.SESSIONS), Outcome.OK, 70), 2);
        assertEquals(70, all.get(0).future.get().op());
        Request waiter = submitted.get(ClientSessions.SESSIONS + 1);
        assertEquals(submitted.get(0).clientId(), waiter.clientId(), "the waiting request took the freed session");
        sessions.failAll(new StateException("part boiler stopped"));
        for (ClientSessions.Pending p : all.subList(1, all.size())) {
            Throwable e = failure(p);
            assertTrue(e.getMessage().startsWith("part boiler stopped"), e.getMessage());
        }
        assertInstanceOf(OutcomeUnknownException.class, failure(all.get(ClientSessions.SESSIONS)), "it was sent: it may still commit");
    }

    /** Fills every session with a request that is out (its session registered first), then queues one more. */
    List<ClientSessions.Pending> allSessionsBusyAndOneWaiting() {
        List<ClientSessions.Pending> out = new ArrayList<>();
        for (int i = 0; i < ClientSessions.SESSIONS; i++) {
            ClientSessions.Pending p = request(1);
            out.add(p);
            sessions.enqueue(p);
            sessions.onReply(reply(submitted.get(submitted.size() - 1), Outcome.OK, i + 1), 2); // registered: the request goes out
        }
        assertEquals(2 * ClientSessions.SESSIONS, submitted.size(), "a registration and the request itself per session");
        ClientSessions.Pending waiter = request(7);
        out.add(waiter);
        sessions.enqueue(waiter);
        assertEquals(2 * ClientSessions.SESSIONS, submitted.size(), "the last one waits for a session");
        return out;
    }

    /**
     * A stop (or a halt) fails everything with failAll. Failing a request that is out frees its session, and that must not
     * hand the session to a request that was only waiting: that would submit it to the group while the replica stops
     * (the old runtime's handle() dropped it as stopped; the driver has no such check), and failAll, which had already
     * copied its list, would not answer it at all (PartRuntime.stop() then answers it "unknown" from its in-flight set;
     * a halted replica, which its owner does not stop, never answers it).
     */
    @Test
    void failingEveryRequestHandsNoWaitingRequestToTheGroupAndAnswersItAsNotDone() {
        List<ClientSessions.Pending> all = allSessionsBusyAndOneWaiting();
        ClientSessions.Pending waiter = all.get(ClientSessions.SESSIONS);
        sessions.failAll(new StateException("part boiler stopped"));
        assertEquals(2 * ClientSessions.SESSIONS, submitted.size(), "nothing more handed to the group by failAll: " + submitted.get(submitted.size() - 1));
        assertTrue(waiter.future.isDone(), "failAll answers the request that waited for a session");
        Throwable e = failure(waiter);
        assertEquals(StateException.class, e.getClass(), "it never left this node: certainly not done: " + e);
        assertTrue(sessions.idle());
    }

    /**
     * An answer in hand is given to its caller even when handing the freed session on to the next request throws (the
     * driver throws when storage fails on that request's persist, and the replica halts): the committed request is out of
     * the session table by then, so nothing else would ever answer it.
     */
    @Test
    void aCommittedAnswerIsGivenEvenWhenHandingItsSessionOnThrows() throws Exception {
        List<ClientSessions.Pending> all = allSessionsBusyAndOneWaiting();
        ClientSessions.Pending first = all.get(0);
        Request firstSent = submitted.get(1);
        assertEquals(firstSent.clientId(), submitted.get(0).clientId());
        submitFails = new IllegalStateException("part boiler: storage failed in /d: disk full");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> sessions.onReply(reply(firstSent, Outcome.OK, 200), 2), "the driver's failure reaches the loop");
        assertTrue(first.future.isDone(), "op 200 committed and its answer was in hand, yet its caller is never told");
        assertEquals(200, first.future.get().op());
    }
}
