package psr.demo;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;

/**
 * The demo's own MQTT broker when none is given: Moquette, in this process, on 127.0.0.1 only, anonymous, without
 * persistence (retained messages live as long as the demo; the bridges republish the whole state when they connect).
 * Its log goes to {@code broker.log} in the demo directory, warnings and errors only.
 */
final class EmbeddedBroker implements AutoCloseable {
    private final Server server;
    private final int port;

    /** Starts on {@code port}, or on any free port when it is 0 or (for the default) taken. */
    EmbeddedBroker(int wanted, boolean wantedIsDefault, Path log) throws IOException {
        // Moquette logs through slf4j to reload4j, whose log4j.properties (in this jar) writes to this file.
        // Set before Moquette's first class loads slf4j.
        System.setProperty("psr.demo.broker.log", log.toString());
        this.server = new Server();
        this.port = choosePort(wanted, wantedIsDefault);
        Properties p = new Properties();
        p.setProperty("host", "127.0.0.1");
        p.setProperty("port", String.valueOf(port));
        p.setProperty("websocket_port", "disabled");
        p.setProperty("allow_anonymous", "true");
        // mosquitto_sub and other clients connect without a client id (the broker assigns one); the hint says mosquitto_sub.
        p.setProperty("allow_zero_byte_client_id", "true");
        p.setProperty("persistence_enabled", "false");
        p.setProperty("netty.so_reuseaddr", "true");
        server.startServer(new MemoryConfig(p));
    }

    URI uri() {
        return URI.create("tcp://127.0.0.1:" + port);
    }

    int port() {
        return port;
    }

    private static int choosePort(int wanted, boolean wantedIsDefault) throws IOException {
        if (wanted > 0) {
            try (ServerSocket s = new ServerSocket(wanted, 1, InetAddress.getLoopbackAddress())) {
                return wanted;
            } catch (IOException e) {
                if (!wantedIsDefault) throw new IOException("MQTT port " + wanted + " on 127.0.0.1 is in use (" + e.getMessage()
                        + "); give another with --mqtt-port, or use the broker that listens there with --broker tcp://127.0.0.1:" + wanted);
            }
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        server.stopServer();
    }
}
