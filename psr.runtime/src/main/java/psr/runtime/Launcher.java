package psr.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.jar.JarFile;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.BundleCapability;
import org.osgi.framework.wiring.BundleRequirement;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.service.log.LogLevel;
import org.osgi.service.log.LogReaderService;

/**
 * Starts one PSR controller node: takes the data directory's lock, starts Felix with the bundles embedded
 * under {@code bundles/} in this jar, writes the OSGi log to the console and {@code DATA/logs/psr.log},
 * and waits until the framework stops ({@code stop 0} or Ctrl-D in the shell, or a signal).
 *
 * <p>Exit codes: 0 stopped normally, 1 failed to start, 2 bad command line, 3 data directory in use.
 */
public final class Launcher {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_LOCKED = 3;

    static final String LOCK_FILE = "psr.lock";
    private static final String BUNDLE_FOLDER = "bundles/";
    private static final long STOP_WAIT_MILLIS = 15_000;

    /** Bundles started before the others (log first, so it records everything) and after (shell last). */
    private static final Map<String, Integer> START_RANK = Map.of(
            "org.apache.felix.log", 0,
            "org.apache.felix.configadmin", 1,
            "org.apache.felix.fileinstall", 8,
            "org.apache.felix.gogo.shell", 9);

    private Launcher() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Options options;
        try {
            options = Options.parse(args, System.getProperties(), Path.of("").toAbsolutePath());
        } catch (Options.UsageException e) {
            err.println("psr: " + e.getMessage());
            err.println("Run with --help for the options.");
            return EXIT_USAGE;
        }
        if (options == null) {
            out.println(Options.USAGE);
            return EXIT_OK;
        }
        if (options.exec != null) return ExecClient.run(options.data, options.exec, out, err);

        out.println("PSR runtime " + version());
        out.println("  data directory : " + options.data);
        out.println("  deploy folder  : " + options.deploy + "  (bundles *.jar, configurations *.cfg *.config)");
        out.println("  log file       : " + logFile(options) + "  (level " + options.logLevel + ")");
        out.println("  config file    : " + (options.configFile == null ? "(none)" : options.configFile));
        out.flush();

        // The lock comes first: a second runtime on the same data directory must change nothing in it.
        FileChannel lockChannel;
        FileLock lock;
        try {
            Files.createDirectories(options.data);
            Path lockPath = options.data.resolve(LOCK_FILE);
            lockChannel = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                lockChannel.close();
                String holder = "";
                try {
                    String text = Files.readString(lockPath).trim();
                    if (text.matches("pid \\d+")) holder = text + ", ";
                } catch (IOException | RuntimeException e) {
                    // the lock is the truth; who holds it is only a hint
                }
                err.println("psr: data directory " + options.data + " is in use by another PSR runtime (" + holder + "lock file "
                        + lockPath + " is held); not starting, nothing was changed");
                return EXIT_LOCKED;
            }
            lockChannel.truncate(0);
            lockChannel.write(StandardCharsets.UTF_8.encode("pid " + ProcessHandle.current().pid() + "\n"));
        } catch (IOException e) {
            err.println("psr: cannot use data directory " + options.data + ": " + e);
            return EXIT_FAILED;
        }

        try (LogSink log = new LogSink(logFile(options), out, LogLevel.valueOf(options.logLevel))) {
            return runFramework(options, log, err);
        } catch (IOException e) {
            err.println("psr: cannot open the log file " + logFile(options) + ": " + e);
            return EXIT_FAILED;
        } finally {
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException e) {
                err.println("psr: releasing " + options.data.resolve(LOCK_FILE) + " failed: " + e);
            }
        }
    }

    static Path logFile(Options options) {
        return options.data.resolve("logs").resolve("psr.log");
    }

    private static int runFramework(Options options, LogSink log, PrintStream err) {
        Framework framework;
        try {
            Files.createDirectories(options.deploy);
            framework = ServiceLoader.load(FrameworkFactory.class).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no OSGi framework on the class path"))
                    .newFramework(frameworkProperties(options));
            framework.init();
        } catch (IOException | BundleException | RuntimeException e) {
            err.println("psr: the framework did not start: " + e);
            return EXIT_FAILED;
        }

        CommandSocket commands = null;
        Thread stopOnSignal = new Thread(() -> stop(framework), "psr-shutdown");
        Runtime.getRuntime().addShutdownHook(stopOnSignal);
        try {
            framework.start();
            BundleContext context = framework.getBundleContext();
            ConsoleSignals.install(context, () -> stop(framework), log);
            if (options.stopWith > 0) stopWithProcess(options.stopWith, framework, log);
            try {
                commands = new CommandSocket(context, options.data, log);
            } catch (IOException | RuntimeException e) {
                log.launcher(LogLevel.WARN, "no command socket for --exec (" + e + "); the console shell still works");
            }
            List<Bundle> bundles = installEmbedded(context);
            int active = startAll(bundles, context, options, log);
            log.launcher(LogLevel.AUDIT, "PSR runtime started: " + active + " of " + bundles.size()
                    + " embedded bundles active; deploy folder " + options.deploy);
            if (options.shell) {
                log.launcher(LogLevel.AUDIT, "Gogo shell on this console (no network port): try lb, scr:list, help; "
                        + "'stop 0', Ctrl-D or Ctrl-C stops the runtime (Ctrl-C during psr:watch ends the watch)");
            }
            FrameworkEvent event = framework.waitForStop(0);
            log.launcher(LogLevel.AUDIT, "PSR runtime stopped (" + describe(event) + ")");
            return event.getType() == FrameworkEvent.ERROR ? EXIT_FAILED : EXIT_OK;
        } catch (Exception e) {
            err.println("psr: start-up failed: " + e);
            stop(framework);
            return EXIT_FAILED;
        } finally {
            if (commands != null) commands.close();
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnSignal);
            } catch (IllegalStateException e) {
                // Already shutting down: the hook is running or has run.
            }
        }
    }

    static Map<String, String> frameworkProperties(Options options) {
        Map<String, String> properties = new HashMap<>();
        properties.put(Constants.FRAMEWORK_STORAGE, options.data.resolve("felix-cache").toString());
        // The embedded bundles and the deploy folder are the truth: start from a clean cache every time.
        properties.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        // The launcher listens to the log, so the log API comes from the class path through the system bundle.
        properties.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA,
                "org.osgi.service.log;version=1.5.0;uses:=\"org.osgi.framework\","
                        + "org.osgi.service.log.admin;version=1.0.0;uses:=\"org.osgi.service.log\"");
        properties.put("org.osgi.service.log.admin.loglevel", options.logLevel);
        properties.put("ds.loglevel", options.logLevel.equals("TRACE") ? "DEBUG" : options.logLevel);
        properties.put("felix.fileinstall.dir", options.deploy.toString());
        properties.put("felix.fileinstall.poll", "1000");
        properties.put("felix.fileinstall.noInitialDelay", "true");
        // The operator's files are the truth: FileInstall must not write configurations back into them. (Its
        // write-back raced with its own next poll, which then read a half-written file and applied empty
        // properties.)
        properties.put("felix.fileinstall.enableConfigSave", "false");
        properties.put("felix.fileinstall.log.level", switch (options.logLevel) {
            case "ERROR" -> "1";
            case "WARN" -> "2";
            case "INFO" -> "3";
            default -> "4";
        });
        properties.put("gosh.args", options.shell ? "--quiet" : "--nointeractive --noshutdown --quiet");
        properties.putAll(options.frameworkProperties);
        return properties;
    }

    private static List<Bundle> installEmbedded(BundleContext context) throws IOException, BundleException {
        Path self;
        try {
            self = Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IOException("cannot locate the runtime jar: " + e, e);
        }
        List<Bundle> installed = new ArrayList<>();
        if (Files.isDirectory(self)) {
            // Running from a build directory (target/classes) rather than from the jar.
            try (Stream<Path> files = Files.list(self.resolve(BUNDLE_FOLDER))) {
                for (Path file : files.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) {
                    try (InputStream in = Files.newInputStream(file)) {
                        installed.add(context.installBundle("psr-runtime:" + BUNDLE_FOLDER + file.getFileName(), in));
                    }
                }
            }
            return installed;
        }
        try (JarFile jar = new JarFile(self.toFile())) {
            List<String> names = jar.stream().map(e -> e.getName())
                    .filter(n -> n.startsWith(BUNDLE_FOLDER) && n.endsWith(".jar")).sorted()
                    .collect(Collectors.toList());
            for (String name : names) {
                try (InputStream in = jar.getInputStream(jar.getEntry(name))) {
                    installed.add(context.installBundle("psr-runtime:" + name, in));
                }
            }
        }
        if (installed.isEmpty()) {
            throw new IOException(self + " holds no bundles under " + BUNDLE_FOLDER);
        }
        return installed;
    }

    private static int startAll(List<Bundle> bundles, BundleContext context, Options options, LogSink log) {
        List<Bundle> ordered = new ArrayList<>(bundles);
        ordered.sort(Comparator.comparingInt((Bundle b) -> START_RANK.getOrDefault(b.getSymbolicName(), 5))
                .thenComparing(Bundle::getSymbolicName));
        int active = 0;
        boolean listening = false;
        for (Bundle bundle : ordered) {
            if ((bundle.adapt(BundleRevision.class).getTypes() & BundleRevision.TYPE_FRAGMENT) != 0) {
                continue;
            }
            String platform = otherPlatform(bundle, context);
            if (platform != null) {
                log.launcher(LogLevel.INFO, "bundle " + bundle.getSymbolicName() + " is for another platform ("
                        + platform + "); not started");
                continue;
            }
            try {
                bundle.start();
                active++;
            } catch (BundleException e) {
                log.launcher(LogLevel.ERROR, "bundle " + bundle.getSymbolicName() + " did not start: "
                        + e.getMessage());
            }
            if (!listening) {
                listening = listen(context, log);
            }
        }
        if (!listening) {
            log.launcher(LogLevel.ERROR, "no OSGi log service: bundle and component messages are not recorded");
        }
        return active;
    }

    /**
     * The {@code osgi.native} requirement of {@code bundle} that this framework's platform does not meet, or null.
     * OSAL backends declare the OS they need this way; the runtime carries them all and starts the one that fits.
     */
    static String otherPlatform(Bundle bundle, BundleContext context) {
        List<BundleCapability> platform = context.getBundle(Constants.SYSTEM_BUNDLE_LOCATION)
                .adapt(BundleRevision.class).getDeclaredCapabilities("osgi.native");
        for (BundleRequirement requirement : bundle.adapt(BundleRevision.class).getDeclaredRequirements("osgi.native")) {
            if (platform.stream().noneMatch(requirement::matches)) {
                return requirement.getDirectives().get("filter");
            }
        }
        return null;
    }

    /** Attaches the sink to the log service once it is there. */
    private static boolean listen(BundleContext context, LogSink log) {
        ServiceReference<LogReaderService> reader = context.getServiceReference(LogReaderService.class);
        if (reader == null) {
            return false;
        }
        context.getService(reader).addLogListener(log);
        return true;
    }

    /**
     * {@code --stop-with PID}: stops the framework (as SIGTERM would) when that process ends. The JDK watches a process
     * that is not our parent's child by polling, so the stop comes within about a second of its end.
     */
    private static void stopWithProcess(long pid, Framework framework, LogSink log) {
        Optional<ProcessHandle> watched = ProcessHandle.of(pid).filter(ProcessHandle::isAlive);
        if (watched.isEmpty()) {
            log.launcher(LogLevel.ERROR, "--stop-with " + pid + ": no such process; stopping now");
            stop(framework);
            return;
        }
        log.launcher(LogLevel.INFO, "stops when process " + pid + " ends (--stop-with)");
        watched.get().onExit().thenRun(() -> {
            log.launcher(LogLevel.WARN, "process " + pid + " ended (--stop-with); stopping");
            stop(framework);
        });
    }

    private static void stop(Framework framework) {
        try {
            if ((framework.getState() & (Bundle.STARTING | Bundle.ACTIVE)) != 0) {
                framework.stop();
            }
            framework.waitForStop(STOP_WAIT_MILLIS);
        } catch (BundleException | InterruptedException | RuntimeException e) {
            System.err.println("psr: stopping the framework failed: " + e);
        }
    }

    private static String describe(FrameworkEvent event) {
        return switch (event.getType()) {
            case FrameworkEvent.STOPPED -> "stopped";
            case FrameworkEvent.STOPPED_UPDATE -> "stopped for an update";
            case FrameworkEvent.ERROR -> "error: " + event.getThrowable();
            case FrameworkEvent.WAIT_TIMEDOUT -> "timed out";
            default -> "event " + event.getType();
        };
    }

    private static String version() {
        String version = Launcher.class.getPackage().getImplementationVersion();
        return version == null ? "(development build)" : version;
    }
}
