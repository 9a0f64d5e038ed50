package psr.api.state;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A peer as one replica sees it (part of {@link PartStatus}). An interface the PSR runtime implements, so
 * that a new property is a minor change of this package (see the package documentation).
 */
@ProviderType
public interface PeerStatus {

    /** The peer's node id. */
    int node();

    /** True while ping round trips to it complete within the connectivity window. */
    boolean connected();
}
