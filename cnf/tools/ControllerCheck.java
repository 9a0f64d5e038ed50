import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Checks that the -runbundles of cnf/controller.bndrun (what a controller runs, committed) are exactly what the
 * bnd resolver computed from its -runrequires (psr.runtime's build writes that to target/controller-resolved), and
 * names every bundle that differs. With {@code update=true} it writes the resolution into the file instead.
 *
 * <p>Usage: {@code java cnf/tools/ControllerCheck.java CONTROLLER.bndrun RESOLVED.bndrun update=false}
 */
public class ControllerCheck {

    public static void main(String[] args) throws IOException {
        if (args.length != 3 || !args[2].startsWith("update=")) {
            System.err.println("usage: ControllerCheck CONTROLLER.bndrun RESOLVED.bndrun update=true|false");
            System.exit(2);
        }
        Path controller = Path.of(args[0]).normalize();
        Path resolved = Path.of(args[1]).normalize();
        boolean update = Boolean.parseBoolean(args[2].substring("update=".length()));
        if (!Files.isRegularFile(resolved)) {
            fail("the resolver wrote no " + resolved + ": was " + controller + " resolved?");
        }
        Map<String, String> committed = runBundles(controller);
        Map<String, String> resolution = runBundles(resolved);
        if (resolution.isEmpty()) {
            fail(resolved + " holds no -runbundles: the resolution of " + controller + " is empty");
        }

        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : resolution.entrySet()) {
            String have = committed.get(e.getKey());
            if (have == null) {
                problems.add("-runbundles lacks " + e.getValue() + ", which its -runrequires need");
            } else if (!have.equals(e.getValue())) {
                problems.add("-runbundles has " + have + ", the resolution " + e.getValue());
            }
        }
        for (Map.Entry<String, String> e : committed.entrySet()) {
            if (!resolution.containsKey(e.getKey())) {
                problems.add("-runbundles lists " + e.getValue() + ", which its -runrequires do not need"
                        + " (or no dependency of psr.runtime provides)");
            }
        }
        if (problems.isEmpty()) {
            System.out.println(controller + ": -runbundles is the resolution of its -runrequires ("
                    + resolution.size() + " bundles)");
            return;
        }
        if (update) {
            write(controller, resolution);
            System.out.println(controller + ": -runbundles updated to the resolution of its -runrequires:");
            problems.forEach(p -> System.out.println("  was: " + p));
            System.out.println("Review the change (git diff cnf/) and commit it.");
            return;
        }
        StringBuilder message = new StringBuilder(controller + " does not say what a controller runs:");
        problems.forEach(p -> message.append("\n  ").append(p));
        message.append("\nThe resolution is in ").append(resolved).append(". To write it into the file:"
                + " mvn -q -pl psr.runtime -am package -DskipTests -Dcontroller.update=true, then review and commit it.");
        fail(message.toString());
    }

    /** The -runbundles clauses of a bnd file by Bundle-SymbolicName, in the file's order. */
    static Map<String, String> runBundles(Path file) throws IOException {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(in); // a bnd file is a properties file: 'key: value', '\' continues a line
        }
        Map<String, String> clauses = new LinkedHashMap<>();
        String value = properties.getProperty("-runbundles", "");
        for (String clause : splitClauses(value)) {
            String normalized = clause.trim().replaceAll("\\s+", "");
            if (!normalized.isEmpty()) {
                clauses.put(normalized.split(";", 2)[0], normalized);
            }
        }
        return clauses;
    }

    /** Clauses are separated by commas outside quotes (version ranges in quotes hold commas). */
    static List<String> splitClauses(String value) {
        List<String> clauses = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        char quote = 0;
        for (char c : value.toCharArray()) {
            if (quote != 0) {
                if (c == quote) quote = 0;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == ',') {
                clauses.add(current.toString());
                current.setLength(0);
                continue;
            }
            current.append(c);
        }
        clauses.add(current.toString());
        return clauses;
    }

    /** Replaces everything from the "-runbundles:" line on with the resolution, one bundle a line, sorted. */
    static void write(Path file, Map<String, String> resolution) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        int at = text.startsWith("-runbundles:") ? 0 : text.indexOf("\n-runbundles:") + 1;
        if (at == 0 && !text.startsWith("-runbundles:")) {
            text = text.endsWith("\n") ? text : text + "\n";
            at = text.length();
        }
        List<String> sorted = new ArrayList<>(resolution.values());
        sorted.sort(null);
        Files.writeString(file, text.substring(0, at) + "-runbundles: \\\n\t" + String.join(",\\\n\t", sorted) + "\n",
                StandardCharsets.UTF_8);
    }

    private static void fail(String message) {
        System.err.println("ERROR: " + message);
        System.exit(1);
    }
}
