import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Summarizes JUnit XML reports the way Surefire does, for test runners that print no such line
 * (bnd-testing-maven-plugin). Run as a single-file program:
 *
 * <pre>java cnf/tools/TestSummary.java DIR...</pre>
 *
 * Reads every TEST-*.xml under each DIR, prints one line
 * {@code Tests run: N, Failures: F, Errors: E, Skipped: S}, names each failed or erroring test, and exits
 * non-zero on any failure or error, when no test ran, when every test was skipped, when any was skipped in CI
 * (environment CI=true), or when no report exists at all.
 */
public class TestSummary {

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: java TestSummary.java REPORT_DIR...");
            System.exit(2);
        }
        List<Path> reports = Stream.of(args).map(Path::of).flatMap(TestSummary::reportsUnder)
                .sorted().collect(Collectors.toList());
        int tests = 0;
        int failures = 0;
        int errors = 0;
        int skipped = 0;
        StringBuilder problems = new StringBuilder();
        var factory = DocumentBuilderFactory.newInstance();
        for (Path report : reports) {
            Element suite = factory.newDocumentBuilder().parse(report.toFile()).getDocumentElement();
            NodeList cases = suite.getElementsByTagName("testcase");
            for (int i = 0; i < cases.getLength(); i++) {
                Element testcase = (Element) cases.item(i);
                tests++;
                String name = testcase.getAttribute("classname") + "." + testcase.getAttribute("name");
                if (hasChild(testcase, "failure")) {
                    failures++;
                    problems.append("  FAILED ").append(name).append(message(testcase, "failure")).append('\n');
                } else if (hasChild(testcase, "error")) {
                    errors++;
                    problems.append("  ERROR  ").append(name).append(message(testcase, "error")).append('\n');
                } else if (hasChild(testcase, "skipped")) {
                    skipped++;
                }
            }
        }
        System.out.println("In-framework test reports: " + reports.size() + " file(s) in " + String.join(", ", args));
        System.out.print(problems);
        System.out.println("Tests run: " + tests + ", Failures: " + failures + ", Errors: " + errors
                + ", Skipped: " + skipped);
        if (failures > 0 || errors > 0) {
            System.out.println("FAILED: " + (failures + errors) + " in-framework test(s) did not pass");
            System.exit(1);
        }
        if (tests == 0) {
            System.out.println("FAILED: no in-framework test ran (a tester or JUnit version mismatch runs none and "
                    + "still reports success)");
            System.exit(1);
        }
        if (skipped == tests) {
            System.out.println("FAILED: every in-framework test was skipped (a framework that did not resolve reports its"
                    + " tests as skipped): nothing was tested");
            System.exit(1);
        }
        if (skipped > 0 && "true".equals(System.getenv("CI"))) {
            System.out.println("FAILED: " + skipped + " in-framework test(s) skipped in CI, where everything they need is"
                    + " installed: a skipped test proves nothing");
            System.exit(1);
        }
    }

    private static Stream<Path> reportsUnder(Path dir) {
        if (!Files.isDirectory(dir)) {
            return Stream.empty();
        }
        try {
            return Files.walk(dir).filter(p -> {
                String name = p.getFileName().toString();
                return name.startsWith("TEST-") && name.endsWith(".xml");
            }).collect(Collectors.toList()).stream();
        } catch (IOException e) {
            throw new RuntimeException("cannot read " + dir + ": " + e, e);
        }
    }

    private static boolean hasChild(Element element, String tag) {
        return element.getElementsByTagName(tag).getLength() > 0;
    }

    private static String message(Element testcase, String tag) {
        Element problem = (Element) testcase.getElementsByTagName(tag).item(0);
        String message = problem.getAttribute("message");
        if (message.isEmpty()) {
            message = problem.getAttribute("type");
        }
        message = message.strip().replaceAll("\\s+", " ");
        if (message.length() > 200) {
            message = message.substring(0, 200) + "...";
        }
        return message.isEmpty() ? "" : ": " + message;
    }
}
