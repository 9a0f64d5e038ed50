package psr.bridge.mqtt;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;

/**
 * A real MQTT broker on 127.0.0.1 and a free port, that a test can stop and start again on the same port:
 * Moquette embedded (always there, from Maven) or a mosquitto process with a generated configuration.
 * Neither keeps retained messages across a restart, so a restart is a broker that lost everything.
 */
abstract class TestBroker implements AutoCloseable {
    final int port = freePort();

    String uri() {
        return "tcp://127.0.0.1:" + port;
    }

    abstract void start() throws Exception;

    abstract void stop() throws Exception;

    @Override
    public void close() throws Exception {
        stop();
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port: " + e, e);
        }
    }

    static TestBroker named(String name) {
        return switch (name) {
            case "moquette" -> new Moquette();
            case "mosquitto" -> new Mosquitto();
            default -> throw new IllegalArgumentException("broker " + name + ": expected moquette or mosquitto");
        };
    }

    void awaitListening(boolean listening) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                if (listening) return;
            } catch (IOException e) {
                if (!listening) return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("broker on port " + port + " is not " + (listening ? "listening" : "closed") + " after 10 s");
    }

    static final class Moquette extends TestBroker {
        private Server server;

        @Override
        void start() throws Exception {
            Properties p = new Properties();
            p.setProperty("host", "127.0.0.1");
            p.setProperty("port", String.valueOf(port));
            p.setProperty("websocket_port", "disabled");
            p.setProperty("allow_anonymous", "true");
            p.setProperty("persistence_enabled", "false");
            p.setProperty("netty.so_reuseaddr", "true");
            server = new Server();
            server.startServer(new MemoryConfig(p));
            awaitListening(true);
        }

        @Override
        void stop() throws Exception {
            if (server == null) return;
            server.stopServer();
            server = null;
            awaitListening(false);
        }

        @Override
        public String toString() {
            return "moquette";
        }
    }

    /**
     * mosquitto as a process of its own. When it is not installed the test fails in CI (CI=true; .ci/run installs it)
     * and elsewhere says how to install it.
     */
    static final class Mosquitto extends TestBroker {
        private final String extraConfiguration;
        private Process process;
        private Path dir;

        Mosquitto() {
            this("");
        }

        /** With more configuration lines, e.g. a TLS listener beside the plain one. */
        Mosquitto(String extraConfiguration) {
            this.extraConfiguration = extraConfiguration;
        }

        static String executable() {
            for (String p : new String[] {"/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/local/bin/mosquitto"}) {
                if (new File(p).canExecute()) return p;
            }
            return null;
        }

        @Override
        void start() throws Exception {
            String exe = executable();
            if (exe == null) {
                String how = "mosquitto is not installed: apt-get install -y mosquitto mosquitto-clients (.ci/run does this)";
                if ("true".equals(System.getenv("CI"))) throw new AssertionError(how);
                org.junit.jupiter.api.Assumptions.abort(how);
            }
            if (dir == null) dir = Files.createTempDirectory("mosquitto-test");
            Path conf = dir.resolve("mosquitto.conf");
            Files.writeString(conf, "per_listener_settings false\nallow_anonymous true\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\n"
                    + "listener " + port + " 127.0.0.1\n" + extraConfiguration);
            process = new ProcessBuilder(exe, "-c", conf.toString()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("mosquitto.log").toFile()).start();
            try {
                awaitListening(true);
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; mosquitto said: " + Files.readString(dir.resolve("mosquitto.log")));
            }
        }

        @Override
        void stop() throws Exception {
            if (process == null) return;
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
            process = null;
            awaitListening(false);
        }

        @Override
        public String toString() {
            return "mosquitto";
        }
    }
}
