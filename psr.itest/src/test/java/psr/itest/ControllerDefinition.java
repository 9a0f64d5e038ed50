package psr.itest;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The bundles of {@code cnf/controller.bndrun}, the one definition of what a controller runs, read from the file
 * itself (its path is the framework property {@code psr.controller.bndrun}, set by {@code itest.bndrun}).
 */
final class ControllerDefinition {

    static final String PATH_PROPERTY = "psr.controller.bndrun";

    private ControllerDefinition() {
    }

    /** The Bundle-SymbolicNames of the file's {@code -runbundles}, in the file's order. */
    static List<String> runBundles(String file) {
        Properties properties = new Properties();
        try (Reader in = Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8)) {
            properties.load(in); // a bnd file is a properties file: 'key: value', '\' continues a line
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the controller definition " + file, e);
        }
        String value = properties.getProperty("-runbundles");
        if (value == null) {
            throw new AssertionError(file + " has no -runbundles");
        }
        List<String> names = new ArrayList<>();
        // Clauses are separated by commas outside quotes: version ranges in quotes hold commas too.
        for (String clause : value.replaceAll("'[^']*'|\"[^\"]*\"", "''").split(",")) {
            String name = clause.split(";", 2)[0].trim();
            if (!name.isEmpty()) {
                names.add(name);
            }
        }
        if (names.isEmpty()) {
            throw new AssertionError(file + " lists no -runbundles");
        }
        return names;
    }
}
