package psr.osal.linux;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

import org.osgi.service.component.annotations.Component;

import psr.api.osal.NetworkInterfaces;

/**
 * {@link NetworkInterfaces} through {@link NetworkInterface} (netlink / ioctl on Linux). Stateless.
 */
@Component(name = "psr.osal.linux.netif", service = NetworkInterfaces.class, immediate = true,
        property = {"psr.osal=linux", "service.description=PSR network interface lookup (java.net.NetworkInterface)"})
public final class JavaNetworkInterfaces implements NetworkInterfaces {

    @Override
    public List<String> names() throws IOException {
        List<String> names = new ArrayList<>();
        Enumeration<NetworkInterface> all = NetworkInterface.getNetworkInterfaces();
        while (all != null && all.hasMoreElements()) {
            names.add(all.nextElement().getName());
        }
        Collections.sort(names);
        return Collections.unmodifiableList(names);
    }

    @Override
    public List<InetAddress> addresses(String name) throws IOException {
        NetworkInterface found = find(name);
        if (!found.isUp()) {
            return List.of();
        }
        List<InetAddress> v4 = new ArrayList<>();
        List<InetAddress> v6 = new ArrayList<>();
        Enumeration<InetAddress> addresses = found.getInetAddresses();
        while (addresses.hasMoreElements()) {
            InetAddress address = addresses.nextElement();
            (address instanceof Inet4Address ? v4 : v6).add(address);
        }
        v4.addAll(v6);
        return Collections.unmodifiableList(v4);
    }

    @Override
    public boolean isUp(String name) throws IOException {
        NetworkInterface found = name == null ? null : lookup(name);
        return found != null && found.isUp();
    }

    private NetworkInterface find(String name) throws IOException {
        NetworkInterface found = name == null ? null : lookup(name);
        if (found == null) {
            throw new IOException("no network interface '" + name + "' on this host; present: " + names());
        }
        return found;
    }

    private static NetworkInterface lookup(String name) throws IOException {
        try {
            return NetworkInterface.getByName(name);
        } catch (SocketException e) {
            throw new IOException("looking up network interface '" + name + "' failed: " + e.getMessage(), e);
        }
    }
}
