package psr.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import psr.runtime.LocalCommand;

/**
 * The demo plant: {@code java -jar psr.demo/target/psr-demo.jar}. Starts an MQTT broker (unless one is given), three
 * controller runtimes as child processes with generated configurations, the example tank application on them and the
 * MQTT bridge on each; shows the plant live in the terminal and on a web page, and takes commands (kill, restart,
 * transfer, setpoint, quit) from standard input. Everything it started stops with it: the controllers by
 * {@code --stop-with} even when the demo is killed with -9.
 */
public final class PlantDemo {
    /** A transfer takes up to two election timeouts, a setpoint up to request.timeout.ms: beyond this the controller is frozen. */
    static final long COMMAND_TIMEOUT_MS = 10_000;
    static final String COMMANDS = "kill N | restart N | transfer PART N | setpoint METRES | status | quit   (N = 1, 2, 3; PART = tank, alarms)";

    private final DemoOptions options;
    private final PrintStream out;
    private final PlantView view = new PlantView();
    private final List<Controller> controllers = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private EmbeddedBroker broker;
    private MqttWatch watch;
    private WebPage web;
    private StatusPoller poller;
    private StatusScreen screen;
    private Thread refresher;

    private PlantDemo(DemoOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public static void main(String[] args) throws Exception {
        DemoOptions options;
        try {
            options = DemoOptions.parse(Arrays.asList(args), Path.of("").toAbsolutePath());
        } catch (DemoOptions.UsageException e) {
            System.err.println("psr-demo: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.println(DemoOptions.USAGE);
            return;
        }
        PlantDemo demo = new PlantDemo(options, System.out);
        Runtime.getRuntime().addShutdownHook(new Thread(demo::stop, "psr-demo-stop"));
        int exit = 0;
        try {
            demo.start();
            demo.commands();
        } catch (Throwable e) {
            // Whatever it was, stop what was started and end: the broker's and web server's threads would keep the JVM.
            System.err.println("psr-demo: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            exit = 1;
        } finally {
            demo.stop();
        }
        System.exit(exit);
    }

    private void start() throws Exception {
        Path runtimeJar = Path.of(LocalCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path appBundle = applicationBundle();
        PlantFiles files = new PlantFiles(options.dir);
        files.prepare(options.fresh);

        URI brokerUri = options.broker;
        String brokerText;
        if (brokerUri == null) {
            boolean isDefault = options.mqttPort < 0;
            broker = new EmbeddedBroker(isDefault ? DemoOptions.DEFAULT_MQTT_PORT : options.mqttPort, isDefault, options.dir.resolve("broker.log"));
            brokerUri = broker.uri();
            brokerText = brokerUri + " (embedded broker)";
        } else {
            brokerText = brokerUri + " (given with --broker)";
        }
        files.write(PlantFiles.freeUdpPorts(), brokerUri, appBundle);
        boolean webDefault = options.webPort < 0;
        web = new WebPage(webDefault ? DemoOptions.DEFAULT_WEB_PORT : options.webPort, webDefault, view, brokerUri.toString());

        List<String> header = List.of(
                "PSR demo plant: 3 controllers on 127.0.0.1, data in " + options.dir,
                "  web page   " + web.uri(),
                "  MQTT       " + brokerText,
                "  watch it   mosquitto_sub -h " + brokerUri.getHost() + " -p " + brokerUri.getPort() + " -t '" + PlantFiles.TOPIC_PREFIX + "/#' -v",
                "  commands   " + COMMANDS);
        boolean live = !options.headless && System.console() != null && !"dumb".equals(System.getenv("TERM"));
        screen = new StatusScreen(out, live, header);
        screen.begin(view);

        watch = new MqttWatch(brokerUri.toString(), PlantFiles.TOPIC_PREFIX, view);
        for (int n : PlantFiles.NODES) {
            Controller c = new Controller(n, files.data(n), files.consoleLog(n), runtimeJar);
            controllers.add(c);
            c.start();
            view.controllerState(n, "starting");
            view.event("controller " + n + " started: data " + files.data(n) + ", console " + files.consoleLog(n));
        }
        poller = new StatusPoller(controllers, view);
        Thread pollThread = new Thread(poller, "psr-demo-status");
        pollThread.setDaemon(true);
        pollThread.start();
        refresher = new Thread(() -> {
            for (long tick = 1; !stopped.get(); tick++) {
                screen.refresh(view, tick % 10 == 0);
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "psr-demo-screen");
        refresher.setDaemon(true);
        refresher.start();
    }

    /** The example application jar: {@code bundles/} next to this jar (the build puts it there). */
    private static Path applicationBundle() throws Exception {
        Path jarDir = Path.of(PlantDemo.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        Path bundles = jarDir.resolve("bundles");
        if (Files.isDirectory(bundles)) {
            try (Stream<Path> s = Files.list(bundles)) {
                for (Path p : s.sorted().toList()) if (p.getFileName().toString().startsWith("psr.example.tank")) return p;
            }
        }
        throw new IOException("the example application bundle is not in " + bundles + "; build it with: mvn -q -DskipTests package");
    }

    /** Reads commands until quit (or, unless headless, the end of standard input). */
    private void commands() throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (!stopped.get()) {
            String line = in.readLine();
            if (line == null) {
                if (!options.headless) return;
                // headless: stdin is not the operator; run until a signal stops the JVM
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    return;
                }
            }
            String answer = command(line.strip());
            if (answer == null) return;
            if (!answer.isEmpty()) screen.say(answer);
        }
    }

    /** Runs one command; returns what to print, or null for quit. */
    String command(String line) {
        if (line.isEmpty()) return "";
        String[] w = line.split("\\s+");
        try {
            switch (w[0].toLowerCase(Locale.ROOT)) {
                case "quit", "exit", "q" -> {
                    return null;
                }
                case "help", "?" -> {
                    return "commands: " + COMMANDS;
                }
                case "status" -> {
                    return String.join("\n", StatusScreen.statusLines(view));
                }
                case "kill" -> {
                    Controller c = controller(w, 1, "kill N");
                    if (!c.alive()) return "controller " + c.node + " is not running";
                    c.kill();
                    view.marker(System.currentTimeMillis(), "kill -9 controller " + c.node, "kill " + c.node, false);
                    return "";
                }
                case "restart" -> {
                    Controller c = controller(w, 1, "restart N");
                    if (c.alive()) return "controller " + c.node + " is running; kill it first (kill " + c.node + ")";
                    c.start();
                    view.marker(System.currentTimeMillis(), "restart controller " + c.node, "restart " + c.node, false);
                    return "";
                }
                case "transfer" -> {
                    if (w.length != 3 || !PlantFiles.PARTS.containsKey(w[1])) return "usage: transfer PART N   (PART = tank or alarms, N = 1, 2 or 3)";
                    Controller to = controller(w, 2, "transfer PART N");
                    int primary = primaryOf(w[1]);
                    if (primary < 0) return "part " + w[1] + " has no primary now; try again in a moment";
                    if (primary == to.node) return "node " + to.node + " is already the primary of " + w[1];
                    view.expectSwitchOver(w[1]);
                    LocalCommand.Answer a = controllers.get(primary - 1).exec("psr:transfer " + w[1] + " " + to.node, COMMAND_TIMEOUT_MS);
                    if (a.outcome() == LocalCommand.Outcome.OK) view.marker(System.currentTimeMillis(), "transfer " + w[1] + " to node " + to.node, "transfer", false);
                    return a.output().strip();
                }
                case "setpoint", "sp" -> {
                    if (w.length != 2) return "usage: setpoint METRES   (the tank's level setpoint, 0.2 to 2.8)";
                    double metres;
                    try {
                        metres = Double.parseDouble(w[1]);
                    } catch (NumberFormatException e) {
                        metres = Double.NaN;
                    }
                    if (!(metres >= 0.2 && metres <= 2.8)) return "setpoint '" + w[1] + "' is not a level the tank can hold: give 0.2 to 2.8 (metres)";
                    int primary = primaryOf("tank");
                    Controller c = primary > 0 ? controllers.get(primary - 1) : controllers.stream().filter(Controller::alive).findFirst().orElse(null);
                    if (c == null) return "no controller is running";
                    LocalCommand.Answer a = c.exec("psr:put tank setpoint double " + metres, COMMAND_TIMEOUT_MS);
                    if (a.outcome() == LocalCommand.Outcome.OK) view.marker(System.currentTimeMillis(), "setpoint " + metres + " m", "setpoint " + metres, false);
                    return a.output().strip();
                }
                default -> {
                    return "unknown command '" + w[0] + "': try " + COMMANDS;
                }
            }
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        } catch (IOException e) {
            return "the controller did not answer: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private Controller controller(String[] w, int index, String usage) {
        if (w.length <= index) throw new IllegalArgumentException("usage: " + usage);
        try {
            int n = Integer.parseInt(w[index]);
            if (n >= 1 && n <= controllers.size()) return controllers.get(n - 1);
        } catch (NumberFormatException e) {
            // said below
        }
        throw new IllegalArgumentException("controller '" + w[index] + "' does not exist: the demo has controllers 1, 2 and 3");
    }

    private int primaryOf(String part) {
        for (PlantView.PartSummary p : view.parts()) if (p.part().equals(part)) return p.primary();
        return -1;
    }

    /** Stops everything it started, once: controllers (cleanly, in parallel), subscriber, page, broker. */
    private void stop() {
        if (!stopped.compareAndSet(false, true)) return;
        if (screen != null) screen.say("stopping the plant (controllers stop cleanly; data stays in " + options.dir + ") ...");
        if (poller != null) poller.stop();
        List<Thread> stopping = new ArrayList<>();
        for (Controller c : controllers) {
            Thread t = new Thread(() -> {
                try {
                    c.stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.start();
            stopping.add(t);
        }
        for (Thread t : stopping) {
            try {
                t.join(40_000);
            } catch (InterruptedException e) {
                break;
            }
        }
        if (watch != null) watch.close();
        if (web != null) web.close();
        if (broker != null) broker.close();
        if (screen != null) {
            screen.end();
            screen.say("stopped.");
        }
    }
}
