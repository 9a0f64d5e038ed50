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
 * <p><b>Types that grow are interfaces.</b> What the runtime hands out and will learn more about over time
 * ({@link PartStatus}, {@link PeerStatus}, {@link OperationResult}, {@link Change}, {@link Snapshot},
 * {@link Serving}) are {@code @ProviderType} interfaces with accessor methods, not records and not DTOs. A
 * record's canonical constructor, {@code equals} and component list change with every new field, which
 * breaks every caller that constructs or deconstructs one; an interface gains a method, which under OSGi
 * semantic versioning is a minor change: consumers (importing {@code [2.0,3)}) keep working unchanged, and
 * only the provider (psr.consensus, importing {@code [2.0,2.1)}) must implement it. Interfaces were chosen
 * over OSGi DTOs (public mutable fields) because these are snapshots shared between threads and callers,
 * which an interface keeps immutable, and because callers keep the accessor style ({@code status.role()})
 * they already use. Applications and tests do not implement them; the provider does (with records of its
 * own). Compare them by their accessors: {@code equals} between them is not part of this API. What stays a record or final class is small and complete by definition: {@link Value}, {@link
 * KeyChange} (one key's old and new value) and the {@link Operation} records, whose fields are the
 * replicated log format (a new field there is a new operation, not a growing one).
 *
 * <p>1.2.0: {@code PartState.follow}, {@code StateFollower}, {@code Snapshot}, {@code Serving}.
 * <br>2.0.0: {@code PartStatus}, {@code PeerStatus}, {@code OperationResult}, {@code Change}, {@code Snapshot}
 * and {@code Serving} are provider interfaces instead of records (their constructors, {@code equals} and
 * record components are gone; every accessor stays).
 */
@Export
@Version("2.0.0")
package psr.api.state;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
