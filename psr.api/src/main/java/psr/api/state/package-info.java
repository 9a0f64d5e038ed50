/**
 * The state API for control applications: parts, keys, typed values, operations, read consistency,
 * change listeners, primary-only tasks and status.
 *
 * <p>Each part of the replicated state is an OSGi service {@link PartState} with the service property
 * {@code psr.part=<name>}; bind to one with a target filter such as {@code (psr.part=boiler)}. Listeners
 * ({@link ChangeListener}) and primary-only tasks ({@link PrimaryTask}) are whiteboard services carrying
 * the same property.
 */
@Export
@Version("1.1.0")
package psr.api.state;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
