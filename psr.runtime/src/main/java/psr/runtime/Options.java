package psr.runtime;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * What one node runs with, from (lowest to highest precedence) built-in defaults, a properties file
 * ({@code --config FILE}), {@code -D} system properties and command-line options.
 *
 * <p>Keys {@code psr.data}, {@code psr.deploy}, {@code psr.log.level} and {@code psr.shell} are the
 * runtime's own; every other key from the properties file, and every {@code -D} system property under a
 * framework prefix ({@code org.osgi.}, {@code felix.}, {@code org.apache.felix.}, {@code ds.},
 * {@code gosh.}), is passed to the framework as a framework property, so e.g.
 * {@code -Dorg.osgi.framework.os.name=VxWorks} reaches the resolver.
 */
final class Options {

    static final String DATA = "psr.data";
    static final String DEPLOY = "psr.deploy";
    static final String LOG_LEVEL = "psr.log.level";
    static final String SHELL = "psr.shell";

    static final List<String> LEVELS = List.of("ERROR", "WARN", "INFO", "DEBUG", "TRACE");
    private static final List<String> FRAMEWORK_PREFIXES = List.of("org.osgi.", "felix.", "org.apache.felix.",
            "ds.", "gosh.");

    static final String USAGE = String.join("\n",
            "Usage: java [-Dframework.property=value...] -jar psr-runtime.jar [options]",
            "",
            "Starts a PSR controller runtime: Felix with SCR, ConfigAdmin, Metatype, the OSGi log, FileInstall,",
            "the PSR bundles and a Gogo shell on this console (no network port).",
            "",
            "Options:",
            "  --data DIR         node data directory (required): lock, logs/, felix-cache/, deploy/ by default",
            "  --deploy DIR       folder watched for bundle jars (*.jar) and configurations (*.cfg, *.config);",
            "                     default DIR/deploy under the data directory",
            "  --config FILE      properties file with psr.data, psr.deploy, psr.log.level, psr.shell and any",
            "                     framework properties; command-line options override it",
            "  --log-level LEVEL  ERROR, WARN, INFO (default), DEBUG or TRACE; console and DIR/logs/psr.log",
            "  --no-shell         no interactive shell (for running as a service with no console)",
            "  --exec COMMAND     run one shell command in the runtime already running on --data DIR (over its",
            "                     socket DIR/run/psr.sock), print the answer and exit: 0 done, 1 failed (certainly",
            "                     not done), 4 outcome unknown (may or may not have committed), 5 no runtime there",
            "  --stop-with PID    stop cleanly when process PID ends (a supervisor that starts runtimes as its",
            "                     children passes its own pid, so they never outlive it, even after its kill -9)",
            "  --help             print this and exit",
            "",
            "Relative paths are resolved against the current directory; paths in a --config file against",
            "the file's directory.");

    final Path data;
    final Path deploy;
    final String logLevel;
    final boolean shell;
    final Path configFile;
    /** The command of {@code --exec}, or null when this process runs a controller. */
    final String exec;
    /** The process whose end stops this runtime ({@code --stop-with}), or 0 for none. */
    final long stopWith;
    /** Framework properties from the properties file and -D system properties, in that precedence. */
    final Map<String, String> frameworkProperties;

    private Options(Path data, Path deploy, String logLevel, boolean shell, Path configFile,
            Map<String, String> frameworkProperties, String exec, long stopWith) {
        this.exec = exec;
        this.stopWith = stopWith;
        this.data = data;
        this.deploy = deploy;
        this.logLevel = logLevel;
        this.shell = shell;
        this.configFile = configFile;
        this.frameworkProperties = frameworkProperties;
    }

    /** Thrown for anything the user must fix; the message says what and the launcher prints usage hints. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** {@code null} when {@code --help} was asked for. */
    static Options parse(String[] args, Properties system, Path workingDirectory) throws UsageException {
        Map<String, String> cli = new LinkedHashMap<>();
        Path configFile = null;
        String exec = null;
        long stopWith = 0;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--help", "-h" -> {
                    return null;
                }
                case "--no-shell" -> cli.put(SHELL, "false");
                case "--exec" -> {
                    if (i + 1 >= args.length || args[i + 1].isBlank()) throw new UsageException("option --exec needs a command");
                    exec = args[++i];
                }
                case "--stop-with" -> {
                    String value = i + 1 < args.length ? args[++i] : "";
                    try {
                        stopWith = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        stopWith = -1;
                    }
                    if (stopWith <= 0) throw new UsageException("option --stop-with needs a process id (a positive number), not '" + value + "'");
                }
                case "--data", "--deploy", "--config", "--log-level" -> {
                    if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                        throw new UsageException("option " + arg + " needs a value");
                    }
                    String value = args[++i];
                    switch (arg) {
                        case "--data" -> cli.put(DATA, value);
                        case "--deploy" -> cli.put(DEPLOY, value);
                        case "--log-level" -> cli.put(LOG_LEVEL, value);
                        default -> configFile = workingDirectory.resolve(value).toAbsolutePath().normalize();
                    }
                }
                default -> throw new UsageException("unknown option '" + arg + "'");
            }
        }

        Map<String, String> own = new LinkedHashMap<>();
        Map<String, String> framework = new LinkedHashMap<>();
        Path configBase = workingDirectory;
        if (configFile != null) {
            Properties file = load(configFile);
            configBase = configFile.getParent();
            for (String key : file.stringPropertyNames()) {
                String value = file.getProperty(key).trim();
                if (key.equals(DATA) || key.equals(DEPLOY) || key.equals(LOG_LEVEL) || key.equals(SHELL)) {
                    own.put(key, value);
                } else if (key.startsWith("psr.")) {
                    throw new UsageException("unknown property '" + key + "' in " + configFile
                            + "; the runtime knows " + DATA + ", " + DEPLOY + ", " + LOG_LEVEL + ", " + SHELL);
                } else {
                    framework.put(key, value);
                }
            }
        }
        for (String key : system.stringPropertyNames()) {
            if (key.equals(DATA) || key.equals(DEPLOY) || key.equals(LOG_LEVEL) || key.equals(SHELL)) {
                own.put(key, system.getProperty(key));
            } else if (FRAMEWORK_PREFIXES.stream().anyMatch(key::startsWith)) {
                framework.put(key, system.getProperty(key));
            }
        }

        // Paths from the file are relative to the file; from the command line or -D, to the working directory.
        Path dataBase = cli.containsKey(DATA) || system.getProperty(DATA) != null ? workingDirectory : configBase;
        Path deployBase = cli.containsKey(DEPLOY) || system.getProperty(DEPLOY) != null ? workingDirectory
                : configBase;
        own.putAll(cli);

        String dataValue = own.get(DATA);
        if (dataValue == null || dataValue.isBlank()) {
            throw new UsageException("no data directory: give --data DIR (or " + DATA + " in a --config file)");
        }
        Path data = dataBase.resolve(dataValue).toAbsolutePath().normalize();
        String deployValue = own.get(DEPLOY);
        Path deploy = deployValue == null || deployValue.isBlank() ? data.resolve("deploy")
                : deployBase.resolve(deployValue).toAbsolutePath().normalize();

        String level = own.getOrDefault(LOG_LEVEL, "INFO").trim().toUpperCase(Locale.ROOT);
        if (level.equals("WARNING")) {
            level = "WARN";
        }
        if (!LEVELS.contains(level)) {
            throw new UsageException("log level '" + own.get(LOG_LEVEL) + "' is not one of " + LEVELS);
        }
        String shellValue = own.getOrDefault(SHELL, "true").trim();
        if (!shellValue.equals("true") && !shellValue.equals("false")) {
            throw new UsageException(SHELL + " = '" + shellValue + "' must be true or false");
        }
        return new Options(data, deploy, level, Boolean.parseBoolean(shellValue), configFile, framework, exec, stopWith);
    }

    private static Properties load(Path file) throws UsageException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UsageException("cannot read the --config file " + file + ": " + e);
        }
        return properties;
    }
}
