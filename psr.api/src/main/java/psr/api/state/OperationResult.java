package psr.api.state;

/**
 * How a committed operation ended.
 *
 * @param applied   false only when a compare-and-set (alone or in a batch) found another value, so nothing changed
 * @param opNumber  where in the part's log it was committed
 * @param view      the view in which it was committed
 * @param failedKey the key whose compare-and-set failed, or null
 */
public record OperationResult(boolean applied, long opNumber, long view, String failedKey) {}
