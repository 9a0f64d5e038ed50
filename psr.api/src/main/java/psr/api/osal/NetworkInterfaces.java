package psr.api.osal;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The platform's network interfaces, by the names the platform gives them ({@code eth0}, {@code enp3s0} on
 * Linux; {@code gei0}, {@code fei1} on VxWorks). A transport uses it to turn a configured interface name into
 * the address it binds to.
 *
 * <p><b>Durability.</b> Nothing here is stored; every answer is the kernel's view at the time of the call and
 * may change when a cable is pulled or an address is reassigned.
 *
 * <p><b>Blocking.</b> Each call asks the kernel and may block briefly (microseconds to a few milliseconds); call
 * it when (re)configuring, not for every message. Safe to call from any thread.
 *
 * <p><b>Ownership.</b> Returned lists are new, unmodifiable and belong to the caller.
 */
@ProviderType
public interface NetworkInterfaces {

    /** The names of the interfaces present now, up or down, sorted. */
    List<String> names() throws IOException;

    /**
     * The addresses of the named interface now: IPv4 addresses first, then IPv6, each group in the order the
     * platform reports them. Empty when the interface exists but has no address (or is down).
     *
     * @throws IOException naming the interface and the interfaces present when there is no such interface, or
     *                     saying what the kernel reported when the lookup failed
     */
    List<InetAddress> addresses(String name) throws IOException;

    /** True when the named interface exists and is up; false when it is down or absent. */
    boolean isUp(String name) throws IOException;
}
