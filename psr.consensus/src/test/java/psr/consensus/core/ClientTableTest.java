package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

import psr.consensus.core.ClientTable.Verdict;

class ClientTableTest {

    @Test
    void aClientWithoutARegisteredSessionNeverExecutes() {
        ClientTable t = new ClientTable();
        assertEquals(Verdict.EVICTED, t.judge(7, 1), "request 1 of an unknown client may be the retry of one that executed");
        t.register(7, 5);
        assertEquals(Verdict.EXECUTE, t.judge(7, 6), "requests are numbered above the registration's op");
        assertEquals(Verdict.STALE, t.judge(7, 1), "a number at or below the registration belongs to an older session");
    }

    @Test
    void retriesAreDuplicatesAndOlderRequestsAreStale() {
        ClientTable t = new ClientTable();
        t.register(7, 1);
        t.record(7, 2, new byte[] {1}, 10);
        t.record(7, 3, new byte[] {2}, 11);
        assertEquals(Verdict.DUPLICATE, t.judge(7, 3));
        assertEquals(2, t.session(7).result()[0], "the cached reply is the latest request's");
        assertEquals(Verdict.STALE, t.judge(7, 2));
        assertEquals(Verdict.EXECUTE, t.judge(7, 4));
    }

    @Test
    void aRepeatedRegistrationKeepsTheSession() {
        ClientTable t = new ClientTable();
        t.register(7, 1);
        t.record(7, 2, new byte[] {1}, 2);
        t.register(7, 3); // the same registration, retried at another primary, later in the log
        assertEquals(Verdict.DUPLICATE, t.judge(7, 2), "not reset: request 2 must not execute again");
        assertEquals(1, t.session(7).registeredAt());
    }

    @Test
    void registeringIntoAFullTableEvictsTheLeastRecentlyUsedSession() {
        ClientTable t = new ClientTable();
        t.configure(2);
        t.register(1, 1);
        t.register(2, 2);
        t.record(1, 2, new byte[0], 3); // client 1 used again: client 2 is now the oldest
        t.register(3, 4);
        assertEquals(2, t.size());
        assertEquals(Verdict.EVICTED, t.judge(2, 3), "client 2 was evicted");
        assertEquals(Verdict.DUPLICATE, t.judge(1, 2));
        t.configure(1);
        assertEquals(Verdict.EVICTED, t.judge(1, 3), "a smaller capacity evicts the oldest at once");
        assertTrue(t.registered(3));
    }

    @Test
    void theCapacityIsConfiguredThroughACommand() {
        assertEquals(4096, new ClientTable().capacity());
        assertFalse(new ClientTable().configured());
        assertEquals(17, ClientTable.capacityOf(ClientTable.configureCommand(17)));
        assertThrows(IllegalArgumentException.class, () -> ClientTable.capacityOf(new byte[3]));
        assertThrows(IllegalArgumentException.class, () -> ClientTable.capacityOf(ClientTable.configureCommand(0)));
    }

    @Test
    void encodeAndDecodeKeepSessionsOrderAndConfiguration() {
        ClientTable t = new ClientTable();
        t.configure(3);
        t.register(5, 1);
        t.register(6, 2);
        t.record(5, 2, new byte[] {9}, 3);
        ClientTable copy = new ClientTable();
        copy.install(ClientTable.decode(ByteBuffer.wrap(t.encode())));
        assertArrayEquals(t.encode(), copy.encode());
        assertTrue(copy.configured());
        assertEquals(3, copy.capacity());
        assertThrows(IllegalArgumentException.class, () -> ClientTable.decode(ByteBuffer.wrap(new byte[5])));
    }
}
