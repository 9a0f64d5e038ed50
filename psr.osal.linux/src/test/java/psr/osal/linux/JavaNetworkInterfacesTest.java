package psr.osal.linux;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

import org.junit.jupiter.api.Test;

class JavaNetworkInterfacesTest {

    private final JavaNetworkInterfaces interfaces = new JavaNetworkInterfaces();

    @Test
    void loopbackIsPresentUpAndHasTheLoopbackAddress() throws IOException {
        List<String> names = interfaces.names();
        assertTrue(names.contains("lo"), names.toString());
        assertTrue(interfaces.isUp("lo"));
        List<InetAddress> addresses = interfaces.addresses("lo");
        assertTrue(addresses.contains(InetAddress.getByName("127.0.0.1")), addresses.toString());
        assertTrue(addresses.get(0) instanceof java.net.Inet4Address, "IPv4 first: " + addresses);
    }

    @Test
    void anUnknownInterfaceIsNamedInTheError() throws IOException {
        IOException e = assertThrows(IOException.class, () -> interfaces.addresses("gei7"));
        assertTrue(e.getMessage().startsWith("no network interface 'gei7' on this host; present: ["),
                e.getMessage());
        assertTrue(e.getMessage().contains("lo"), e.getMessage());
        assertFalse(interfaces.isUp("gei7"));
        assertFalse(interfaces.isUp(null));
    }
}
