package psr.consensus.part;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import psr.consensus.core.ReplicaEvent;

/** Event lines name node ids (never replica indices), milliseconds and the reason. */
class ReplicaEventLogTest {
    // Replica indices 0, 1, 2 are nodes 11, 12, 13; one tick is 10 ms.
    private final ReplicaEventLog log = new ReplicaEventLog("boiler", 12, List.of(11, 12, 13), 10);

    @Test
    void aFailoverReadsInTheOperatorsTerms() {
        ReplicaEventLog.Line silent = log.line(new ReplicaEvent.PrimarySilent(3, 0, 62, true));
        assertTrue(silent.warn());
        assertEquals("part boiler node 12: primary node 11 of view 3 silent for 620 ms; campaigning", silent.text());
        assertEquals("part boiler node 12: view change from view 3 to view 4 started: candidate: a quorum granted the pre-vote; node 12 would lead it",
                log.line(new ReplicaEvent.ViewChangeStarted(4, 3, 1, "candidate: a quorum granted the pre-vote")).text());
        ReplicaEventLog.Line became = log.line(new ReplicaEvent.BecamePrimary(4, 120, 118, 71));
        assertFalse(became.warn());
        assertEquals("part boiler node 12: became primary of view 4 (op 120, commit 118); no primary here for 710 ms before", became.text());
        assertEquals("part boiler node 12: backup of view 5 led by node 13 (op 130)",
                log.line(new ReplicaEvent.BecameBackup(5, 2, 130, -1, false)).text());
        assertEquals("part boiler node 12: peer node 13 lost (no ping round trip within the window)",
                log.line(new ReplicaEvent.PeerConnectivity(2, false)).text());
        assertEquals("part boiler node 12: leadership transfer of view 4 to node 11 abandoned: no new view within two election timeouts; serving again",
                log.line(new ReplicaEvent.Handover(4, 0, "abandoned")).text());
    }

    @Test
    void reasonsFromTheCoreNameNodesNotReplicaIndices() {
        // Found in a manual-time run: "joined the view change of candidate replica 1" when node 2 was the candidate.
        assertEquals("part boiler node 12: view change from view 3 to view 4 started: joined the view change of candidate node 12; node 12 would lead it",
                log.line(new ReplicaEvent.ViewChangeStarted(4, 3, 1, "joined the view change of candidate replica 1")).text());
        assertEquals("part boiler node 12: view change from view 3 to view 5 started: view 5 started without us (learned from node 13); node 13 would lead it",
                log.line(new ReplicaEvent.ViewChangeStarted(5, 3, 2, "view 5 started without us (learned from replica 2)")).text());
        assertEquals("recovering: fetching the state of view 7 from node 11 by state transfer",
                ReplicaEventLog.inNodeIds("recovering: fetching the state of view 7 from replica 0 by state transfer", List.of(11, 12, 13)));
        assertEquals("message from unknown replica 9", ReplicaEventLog.inNodeIds("message from unknown replica 9", List.of(11, 12, 13)),
                "an index outside the group stays as it is");
    }
}
