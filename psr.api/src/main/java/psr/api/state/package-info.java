/**
 * The state API for control applications: parts, keys, typed values, operations, read consistency,
 * change listeners, primary-only tasks and status.
 *
 * <p>Each part of the replicated state is an OSGi service {@link PartState} with the service property
 * {@code psr.part=<name>}; bind to one with a target filter such as {@code (psr.part=boiler)}. Listeners
 * ({@link ChangeListener}) and primary-only tasks ({@link PrimaryTask}) are whiteboard services carrying
 * the same property. A bridge that republishes the state elsewhere follows it as a gap-free stream with
 * {@link PartState#follow} ({@link StateFollower}: a snapshot at op n, then the changes from n+1, and when
 * this replica is the serving primary).
 *
 * <p>1.2.0: {@code PartState.follow}, {@code StateFollower}, {@code Snapshot}, {@code Serving}.
 */
@Export
@Version("1.2.0")
package psr.api.state;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
