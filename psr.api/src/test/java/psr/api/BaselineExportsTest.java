package psr.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * What the baseline plugin does not check while psr.api's bundle version is 0.x: bnd compares the packages
 * both jars export, but treats a package the released jar exported and this one no longer does as a bundle
 * change, and 0.x bundle versions as unstable. Removing an exported package breaks every bundle that imports
 * it, so this test fails on it (and on a package whose version went down).
 */
class BaselineExportsTest {

    private static final Pattern EXPORT = Pattern.compile("([\\w.]+);version=\"?([0-9][0-9.]*)\"?");

    @Test
    void everyPackageTheBaselineExportsIsStillExportedAtItsVersionOrHigher() throws IOException {
        Map<String, Version> released;
        Path baseline = Path.of(System.getProperty("psr.api.baseline.jar"));
        try (JarFile jar = new JarFile(baseline.toFile())) {
            released = exports(jar.getManifest());
        }
        Map<String, Version> now;
        try (InputStream in = Files.newInputStream(Path.of(System.getProperty("psr.api.manifest")))) {
            now = exports(new Manifest(in));
        }
        assertFalse(released.isEmpty(), "the baseline " + baseline + " exports no package");

        List<String> problems = new ArrayList<>();
        released.forEach((pkg, version) -> {
            Version current = now.get(pkg);
            if (current == null) {
                problems.add(pkg + " " + version + " is no longer exported");
            } else if (current.compareTo(version) < 0) {
                problems.add(pkg + " went down from " + version + " to " + current);
            }
        });
        assertTrue(problems.isEmpty(), "compared with the released psr.api (" + baseline.getFileName() + "): "
                + String.join("; ", problems) + ". Every bundle importing such a package breaks. If that is"
                + " intended, release psr.api and cut a new baseline (psr.api/README.md).");
    }

    @Test
    void exportsAreReadAsBndWritesThem() {
        Manifest m = new Manifest();
        m.getMainAttributes().putValue("Manifest-Version", "1.0");
        m.getMainAttributes().putValue("Export-Package", "a.b;version=\"1.1.0\",c.d;uses:=\"a.b\";version=\"2.0.0\"");
        assertEquals(Map.of("a.b", Version.of("1.1.0"), "c.d", Version.of("2.0.0")), exports(m));
    }

    private static Map<String, Version> exports(Manifest manifest) {
        String header = manifest.getMainAttributes().getValue("Export-Package");
        Map<String, Version> out = new TreeMap<>();
        if (header == null) return out;
        // uses:="a,b" lists hold commas: drop quoted lists of names before splitting into clauses.
        Matcher m = EXPORT.matcher(header.replaceAll("uses:=\"[^\"]*\";?", ""));
        while (m.find()) out.put(m.group(1), Version.of(m.group(2)));
        return out;
    }

    record Version(int major, int minor, int micro) implements Comparable<Version> {
        static Version of(String text) {
            String[] p = text.split("\\.");
            return new Version(Integer.parseInt(p[0]), p.length > 1 ? Integer.parseInt(p[1]) : 0, p.length > 2 ? Integer.parseInt(p[2]) : 0);
        }

        @Override
        public int compareTo(Version o) {
            int c = Integer.compare(major, o.major);
            if (c == 0) c = Integer.compare(minor, o.minor);
            return c != 0 ? c : Integer.compare(micro, o.micro);
        }

        @Override
        public String toString() {
            return major + "." + minor + "." + micro;
        }
    }
}
