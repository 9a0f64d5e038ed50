package psr.osal.vxworks;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

import psr.api.osal.NetworkInterfaces;

/** {@link NetworkInterfaces} on VxWorks: interface names such as {@code gei0}, addresses from {@code ifAddrGet}. */
final class VxNetworkInterfaces implements NetworkInterfaces {

    private final VxKernel kernel;

    VxNetworkInterfaces(VxKernel kernel) {
        this.kernel = kernel;
    }

    @Override
    public List<String> names() throws IOException {
        try {
            String[] names = kernel.ifNames();
            Arrays.sort(names);
            return List.of(names);
        } catch (VxException e) {
            throw new IOException("listing network interfaces failed: " + e.getMessage(), e);
        }
    }

    @Override
    public List<InetAddress> addresses(String name) throws IOException {
        String[] literals;
        try {
            literals = kernel.ifAddresses(name);
        } catch (VxException e) {
            if (e.errno() == VxKernel.ENODEV) {
                throw new IOException("no network interface '" + name + "' on this target; present: " + names(), e);
            }
            throw new IOException("looking up network interface '" + name + "' failed: " + e.getMessage(), e);
        }
        List<InetAddress> v4 = new ArrayList<>();
        List<InetAddress> v6 = new ArrayList<>();
        for (String literal : literals) {
            InetAddress address = InetAddress.getByName(literal); // A literal: no name service is asked.
            (address instanceof Inet4Address ? v4 : v6).add(address);
        }
        v4.addAll(v6);
        return Collections.unmodifiableList(v4);
    }

    @Override
    public boolean isUp(String name) throws IOException {
        try {
            return kernel.ifUp(name);
        } catch (VxException e) {
            if (e.errno() == VxKernel.ENODEV) {
                return false;
            }
            throw new IOException("looking up network interface '" + name + "' failed: " + e.getMessage(), e);
        }
    }
}
