package psr.demo;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/** The demo's command line, checked: a bad option is a {@link UsageException} that says what is wrong. */
final class DemoOptions {
    static final String USAGE = String.join("\n",
            "Usage: java -jar psr.demo/target/psr-demo.jar [options]",
            "",
            "Starts a local PSR plant: three controller runtimes on 127.0.0.1 (separate processes, each with its own",
            "data directory and generated configuration), the example tank application on them, the MQTT bridge on",
            "each, an embedded MQTT broker unless --broker is given, live status here and a web page.",
            "",
            "Options:",
            "  --dir DIR          where the controllers' data directories go (default ./psr-demo); kept between runs,",
            "                     so the plant goes on from its committed state",
            "  --fresh            delete what an earlier run left in DIR first",
            "  --broker URI       use this MQTT broker (tcp://host:port) instead of starting one",
            "  --mqtt-port N      port of the embedded broker on 127.0.0.1 (default 1883, or any free one if taken)",
            "  --web-port N       port of the web page on 127.0.0.1 (default 8080, or any free one if taken; 0 = any)",
            "  --headless         no live screen: status lines every 5 s; commands are still read from standard input",
            "                     and its end does not stop the plant (for scripts and tests)",
            "  --help             print this and exit",
            "",
            "Commands while it runs: kill N, restart N, transfer PART N, setpoint METRES, status, help, quit.");

    static final int DEFAULT_MQTT_PORT = 1883;
    static final int DEFAULT_WEB_PORT = 8080;

    final Path dir;
    final boolean fresh;
    /** The broker to use, or null to start the embedded one. */
    final URI broker;
    final int mqttPort;
    /** -1: the default (8080, or any free port). */
    final int webPort;
    final boolean headless;

    private DemoOptions(Path dir, boolean fresh, URI broker, int mqttPort, int webPort, boolean headless) {
        this.dir = dir;
        this.fresh = fresh;
        this.broker = broker;
        this.mqttPort = mqttPort;
        this.webPort = webPort;
        this.headless = headless;
    }

    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** {@code null} when {@code --help} was asked for. */
    static DemoOptions parse(List<String> args, Path workingDirectory) throws UsageException {
        Path dir = workingDirectory.resolve("psr-demo");
        boolean fresh = false;
        boolean headless = false;
        URI broker = null;
        int mqttPort = -1;
        int webPort = -1;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "--help", "-h" -> {
                    return null;
                }
                case "--fresh" -> fresh = true;
                case "--headless" -> headless = true;
                case "--dir", "--broker", "--mqtt-port", "--web-port" -> {
                    if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) throw new UsageException("option " + arg + " needs a value");
                    String value = args.get(++i);
                    switch (arg) {
                        case "--dir" -> dir = workingDirectory.resolve(value);
                        case "--broker" -> broker = broker(value);
                        case "--mqtt-port" -> mqttPort = port(arg, value);
                        default -> webPort = port(arg, value);
                    }
                }
                default -> throw new UsageException("unknown option '" + arg + "' (--help lists the options)");
            }
        }
        if (broker != null && mqttPort >= 0) throw new UsageException("--mqtt-port is the embedded broker's port; with --broker there is none");
        return new DemoOptions(dir.toAbsolutePath().normalize(), fresh, broker, mqttPort, webPort, headless);
    }

    private static URI broker(String value) throws UsageException {
        try {
            URI uri = new URI(value);
            if ("tcp".equals(uri.getScheme()) && uri.getHost() != null && uri.getPort() > 0 && (uri.getPath() == null || uri.getPath().isEmpty())) {
                return uri;
            }
        } catch (java.net.URISyntaxException e) {
            // said below
        }
        throw new UsageException("--broker '" + value + "' is not a broker address: expected tcp://host:port, e.g. tcp://127.0.0.1:1883");
    }

    private static int port(String option, String value) throws UsageException {
        try {
            int port = Integer.parseInt(value);
            if (port >= 0 && port <= 65535) return port;
        } catch (NumberFormatException e) {
            // said below
        }
        throw new UsageException(option + " '" + value + "' is not a port: expected 0 to 65535 (0 = any free port)");
    }
}
