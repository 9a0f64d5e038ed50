package psr.api.state;

import org.osgi.annotation.versioning.ProviderType;

/**
 * How a committed operation ended. An interface the PSR runtime implements, so that a new property is a
 * minor change of this package (see the package documentation).
 */
@ProviderType
public interface OperationResult {

    /** False only when a compare-and-set (alone or in a batch) found another value, so nothing changed. */
    boolean applied();

    /** Where in the part's log it was committed. */
    long opNumber();

    /** The view in which it was committed. */
    long view();

    /** The key whose compare-and-set failed, or null. */
    String failedKey();
}
