package psr.consensus.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/** The events a failover leaves, in the order they happen, as the driver gets them to log. */
class ReplicaEventsTest {

    private static List<String> of(SuspicionNet net, String prefix) {
        return net.events.stream().filter(e -> e.startsWith(prefix)).collect(Collectors.toList());
    }

    private static boolean has(SuspicionNet net, String fragment) {
        return net.events.stream().anyMatch(e -> e.contains(fragment));
    }

    @Test
    void aCrashedPrimaryLeavesPeerLostPrimarySilentViewChangeAndBecamePrimaryEvents() {
        SuspicionNet net = new SuspicionNet(3, 0);
        net.tickUntil("peers connected", () -> net.r[1].connectedTo(0) && net.r[1].connectedTo(2) && net.r[2].connectedTo(0), 200);
        net.tick(10); // the next heartbeat reports what changed since the last
        assertTrue(has(net, "1: PeerConnectivity[peer=0, connected=true]"), net.events.toString());
        net.events.clear();

        net.crash(0);
        net.tickUntil("a new primary", () -> net.r[1].isServingPrimary() || net.r[2].isServingPrimary(), 1000);
        int primary = net.r[1].isServingPrimary() ? 1 : 2;
        int backup = 3 - primary;
        List<String> mine = of(net, primary + ": ");
        assertTrue(mine.stream().anyMatch(e -> e.contains("PeerConnectivity[peer=0, connected=false]")), mine.toString());
        assertTrue(mine.stream().anyMatch(e -> e.startsWith(primary + ": PrimarySilent[view=0, primary=0")), mine.toString());
        String started = mine.stream().filter(e -> e.contains("ViewChangeStarted")).findFirst().orElseThrow();
        assertTrue(started.contains("fromView=0") && started.contains("leader=" + primary) && started.contains("candidate: a quorum granted the pre-vote"), started);
        String became = mine.stream().filter(e -> e.contains("BecamePrimary")).findFirst().orElseThrow();
        long view = net.r[primary].view();
        assertTrue(became.startsWith(primary + ": BecamePrimary[view=" + view + ","), became);
        long withoutPrimary = Long.parseLong(became.replaceAll(".*ticksWithoutPrimary=(-?\\d+)].*", "$1"));
        // At least the election timeout it waited for the silent primary (50 ticks), at most that plus its back-off and
        // the view change.
        assertTrue(withoutPrimary >= 50 && withoutPrimary < 300, "ticks the new primary had been without one: " + became);
        assertTrue(of(net, backup + ": ").stream().anyMatch(e -> e.contains("joined the view change of candidate replica " + primary)),
                net.events.toString());
        assertTrue(of(net, backup + ": ").stream().anyMatch(e -> e.startsWith(backup + ": BecameBackup[view=" + view + ", primary=" + primary)),
                net.events.toString());
    }

    @Test
    void anIsolatedPrimaryAbdicatesAndServesAgainWhenItIsQuorumConnectedAgain() {
        SuspicionNet net = new SuspicionNet(3, 0);
        net.tickUntil("peers connected", () -> net.r[0].connectedTo(1) && net.r[0].connectedTo(2), 200);
        for (int i = 1; i < 3; i++) {
            net.cut[0][i] = true;
            net.cut[i][0] = true;
        }
        net.tickUntil("abdication", () -> has(net, "0: Abdicated[view=0]"), 1000);
        for (int i = 1; i < 3; i++) {
            net.cut[0][i] = false;
            net.cut[i][0] = false;
        }
        // Healed: either it serves again in its view (the others had not yet given up on it), or it follows the view
        // the others started meanwhile.
        net.tickUntil("replica 0 serving again or a backup of a newer view",
                () -> has(net, "0: ServingAgain[view=0]") || has(net, "0: BecameBackup"), 2000);
        assertEquals(1, of(net, "0: Abdicated").size(), net.events.toString());
    }
}
