package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import psr.consensus.core.ClientTable.Verdict;

class ClientTableTest {

    @Test
    void newClientsStartAtRequestOne() {
        ClientTable t = new ClientTable(4);
        assertEquals(Verdict.EXECUTE, t.judge(7, 1));
        assertEquals(Verdict.SESSION_EXPIRED, t.judge(7, 2), "an unknown client with request 2 lost its session");
    }

    @Test
    void retriesAreDuplicatesAndOlderRequestsAreStale() {
        ClientTable t = new ClientTable(4);
        t.record(7, 1, new byte[] {1}, 10);
        t.record(7, 2, new byte[] {2}, 11);
        assertEquals(Verdict.DUPLICATE, t.judge(7, 2));
        assertEquals(2, t.session(7).result()[0], "the cached reply is the latest request's");
        assertEquals(Verdict.STALE, t.judge(7, 1));
        assertEquals(Verdict.EXECUTE, t.judge(7, 3));
    }

    @Test
    void theLeastRecentlyUsedClientIsEvictedFirst() {
        ClientTable t = new ClientTable(2);
        t.record(1, 1, new byte[0], 1);
        t.record(2, 1, new byte[0], 2);
        t.record(1, 2, new byte[0], 3); // client 1 used again: client 2 is now the oldest
        t.record(3, 1, new byte[0], 4);
        assertEquals(2, t.size());
        assertEquals(Verdict.SESSION_EXPIRED, t.judge(2, 2), "client 2 was evicted");
        assertEquals(Verdict.DUPLICATE, t.judge(1, 2));
    }
}
