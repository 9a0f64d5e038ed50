/**
 * OS abstraction layer (OSAL) service provider interfaces.
 *
 * <p>Consensus and transports reach the operating system only through these interfaces. A platform
 * backend bundle ({@code psr.osal.linux}, {@code psr.osal.vxworks}) provides them as OSGi services.
 *
 * <p>1.1.0 added {@link psr.api.osal.NetworkInterfaces} and {@link psr.api.osal.Watchdogs}.
 */
@Export
@Version("1.1.0")
package psr.api.osal;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
