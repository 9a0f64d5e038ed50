package psr.consensus.part;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

import psr.api.state.Change;
import psr.api.state.KeyChange;
import psr.api.state.OperationResult;
import psr.api.state.PartStatus;
import psr.api.state.PeerStatus;
import psr.api.state.Role;
import psr.api.state.Serving;
import psr.api.state.Snapshot;
import psr.api.state.Value;

/**
 * This bundle's implementations of the {@code psr.api.state} provider interfaces: immutable records, so they
 * compare, hash and print by value. When the API gains a property, the record gains a component here and
 * nothing outside this bundle changes (the interfaces are {@code @ProviderType}: consumers import
 * {@code [2.0,3)}, this bundle {@code [2.0,2.1)}).
 */
final class StateValues {
    private StateValues() {}

    record PartStatusValue(String part, int node, Role role, long view, int primaryNode, boolean quorumConnected,
            List<PeerStatus> peers, long opNumber, long commitNumber, long lag, String refusal, long droppedMessages)
            implements PartStatus {
        PartStatusValue {
            peers = List.copyOf(peers);
        }
    }

    record PeerStatusValue(int node, boolean connected) implements PeerStatus {}

    record ServingValue(String part, int node, boolean serving, long view, long opNumber) implements Serving {}

    record OperationResultValue(boolean applied, long opNumber, long view, String failedKey) implements OperationResult {}

    record ChangeValue(String part, long opNumber, long view, List<KeyChange> changes, boolean replay) implements Change {
        ChangeValue {
            changes = List.copyOf(changes);
        }
    }

    record SnapshotValue(String part, long opNumber, long view, SortedMap<String, Value> values) implements Snapshot {
        SnapshotValue {
            values = Collections.unmodifiableSortedMap(new TreeMap<>(values));
        }
    }
}
