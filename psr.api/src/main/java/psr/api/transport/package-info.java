/**
 * The transport service provider interface: how replicas of one part reach their peers on other nodes.
 * A transport moves opaque messages; it never interprets them.
 */
@Export
@Version("1.0.0")
package psr.api.transport;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
