package psr.api.state;

import java.util.List;

/**
 * The changes one committed operation made to a part.
 *
 * @param part     the part
 * @param opNumber the operation's op-number; changes of one part arrive in increasing op-number order
 * @param view     the view in which this replica applied it
 * @param changes  the keys it changed (empty when a compare-and-set failed)
 * @param replay   true while a restarted replica rebuilds its state from its own log: the change was
 *                 committed before this replica restarted and listeners may have seen it then
 */
public record Change(String part, long opNumber, long view, List<KeyChange> changes, boolean replay) {
    public Change {
        changes = List.copyOf(changes);
    }
}
