package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReviewEventsTest {

    @Test
    void aBackupAdoptingANewerViewStraightFromNormalReportsNoStaleDowntime() {
        SuspicionNet net = new SuspicionNet(3, 0);
        net.tickUntil("peers connected", () -> net.r[0].connectedTo(1) && net.r[0].connectedTo(2) && net.r[1].connectedTo(2), 200);
        // A first failover, so that every replica has left normal status once.
        net.isolate(0);
        net.tickUntil("new primary", () -> net.r[1].isServingPrimary() || net.r[2].isServingPrimary(), 2000);
        net.healAll();
        net.tickUntil("0 back as backup", () -> net.r[0].status() == Status.NORMAL && net.r[0].view() == net.r[1].view()
                && net.r[0].view() == net.r[2].view() && net.r[1].status() == Status.NORMAL && net.r[2].status() == Status.NORMAL, 3000);
        net.tick(3000); // a long normal period
        int p = net.r[1].isServingPrimary() ? 1 : net.r[2].isServingPrimary() ? 2 : 0;
        int x = p == 1 ? 2 : 1; // successor
        int y = 3 - p - x;      // observer that misses the view change and gets only StartView
        net.hold = pk -> pk.to() == y && (pk.message() instanceof Message.StartViewChange || pk.message() instanceof Message.PreVote);
        net.events.clear();
        net.collect(p, net.r[p].transferLeadership(x));
        net.tickUntil("x primary", () -> net.r[x].isServingPrimary(), 2000);
        net.tickUntil("y backup of x's view", () -> net.r[y].view() == net.r[x].view() && net.r[y].status() == Status.NORMAL, 2000);
        String became = net.events.stream().filter(e -> e.startsWith(y + ": BecameBackup")).findFirst().orElseThrow(() -> new AssertionError(net.events.toString()));
        long withoutNormal = Long.parseLong(became.replaceAll(".*ticksWithoutPrimary=(-?\\d+).*", "$1"));
        System.out.println("EVENTS " + net.events);
        assertTrue(withoutNormal < 200, "y was normal all along, yet: " + became + " " + net.events);
    }

    @Test
    void aCutOffBackupRepeatsPrimarySilentForAsLongAsItIsCutOff() {
        SuspicionNet net = new SuspicionNet(3, 0);
        net.tickUntil("peers connected", () -> net.r[2].connectedTo(0) && net.r[2].connectedTo(1), 200);
        net.events.clear();
        net.isolate(2);
        net.tick(10_000); // 10,000 ticks; election timeout 50
        long silent = net.events.stream().filter(e -> e.startsWith("2: PrimarySilent")).count();
        long lost = net.events.stream().filter(e -> e.startsWith("2: PeerConnectivity")).count();
        System.out.println("REVIEW PrimarySilent events at the cut-off backup: " + silent + ", connectivity events " + lost
                + ", status " + net.r[2]);
        assertTrue(silent <= 2, "one incident, " + silent + " WARN lines");
    }

    private static Object field(Replica r, String name) throws Exception {
        java.lang.reflect.Field f = Replica.class.getDeclaredField(name);
        f.setAccessible(true);
        return f.get(r);
    }

    /** Every field of the replica that holds a Checkpoint (directly). */
    private static java.util.List<Object> checkpointsHeld(Replica r) throws Exception {
        java.util.List<Object> held = new java.util.ArrayList<>();
        for (java.lang.reflect.Field f : Replica.class.getDeclaredFields()) {
            if (f.getType() != Checkpoint.class) continue;
            f.setAccessible(true);
            if (f.get(r) != null) held.add(f.get(r));
        }
        return held;
    }

    @Test
    void aReplicaThatServedACheckpointKeepsNoOldCheckpointAlive() throws Exception {
        // Found by review: the chunks' CRC cache held the checkpoint it was computed for, so after the next checkpoint
        // a second copy of the state (256 MiB at 256 MiB) stayed reachable.
        SuspicionNet net = new SuspicionNet(3, 10);
        net.tickUntil("peers connected", () -> net.r[0].connectedTo(1) && net.r[0].connectedTo(2), 200);
        net.submit(0, 1, LogEntry.REGISTER);
        net.tick(20);
        net.isolate(2);
        for (int i = 1; i <= 30; i++) { net.submit(0, 1, i); net.tick(3); }
        net.healAll();
        net.tickUntil("2 caught up", () -> net.r[2].commitNumber() == net.r[0].commitNumber() && net.r[2].status() == Status.NORMAL, 3000);
        Object served0 = net.r[0].checkpoint();
        Object served1 = net.r[1].checkpoint();
        for (int i = 31; i <= 60; i++) { net.submit(0, 1, i); net.tick(3); }
        net.tick(50);
        for (int r = 0; r < 2; r++) {
            Object old = r == 0 ? served0 : served1;
            assertTrue(net.r[r].checkpoint() != old, "setup: replica " + r + " took a newer checkpoint");
            for (Object held : checkpointsHeld(net.r[r])) {
                assertTrue(held != old, "replica " + r + " still holds the checkpoint it had when it served one: " + old);
            }
        }
    }
}
