package psr.demo;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The distribution's Chromium, headless, as a real browser for the demo's page: the DOM after the page's scripts ran
 * ({@code --dump-dom}) and a screenshot. Missing, it fails the test in CI (CI=true; .ci/run installs it) and elsewhere
 * says how to install it.
 */
final class Chromium {
    private final String executable;

    private Chromium(String executable) {
        this.executable = executable;
    }

    static Chromium find() {
        for (String p : new String[] {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
            if (new File(p).canExecute()) return new Chromium(p);
        }
        String how = "Chromium is not installed: apt-get install -y chromium (.ci/run does this)";
        if ("true".equals(System.getenv("CI"))) throw new AssertionError(how);
        org.junit.jupiter.api.Assumptions.abort(how);
        return null;
    }

    String dumpDom(String url) throws Exception {
        return run(List.of("--dump-dom", url));
    }

    void screenshot(String url, Path png) throws Exception {
        Files.deleteIfExists(png);
        run(List.of("--screenshot=" + png, "--hide-scrollbars", url));
        if (!Files.isRegularFile(png)) throw new AssertionError("Chromium wrote no screenshot to " + png);
    }

    /**
     * One headless run. The page polls once a second; a virtual-time budget of 4 s lets it load, fetch and draw
     * (virtual time waits for the fetches) before the DOM or the screenshot is taken. The flags keep Chromium off the
     * network it would otherwise try (updates, sync), which this machine refuses.
     */
    private String run(List<String> what) throws Exception {
        Path profile = Files.createTempDirectory("chromium-profile");
        List<String> command = new ArrayList<>(List.of(executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--user-data-dir=" + profile, "--window-size=1400,860", "--virtual-time-budget=4000"));
        command.addAll(what);
        Path err = Files.createTempFile("chromium", ".err");
        Path out = Files.createTempFile("chromium", ".out");
        Process p = new ProcessBuilder(command).redirectError(err.toFile()).redirectOutput(out.toFile()).start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) throw new AssertionError("Chromium did not finish in 60 s: " + command);
            if (p.exitValue() != 0) throw new AssertionError("Chromium exited " + p.exitValue() + ": " + Files.readString(err));
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            try (java.util.stream.Stream<Path> files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
            Files.deleteIfExists(err);
            Files.deleteIfExists(out);
        }
    }

    /** An integer attribute of the element with id {@code id} in a dumped DOM. */
    static int intAttribute(String dom, String id, String attribute) throws IOException {
        Matcher element = Pattern.compile("<[a-z]+ [^>]*id=\"" + id + "\"[^>]*>").matcher(dom);
        if (!element.find()) throw new AssertionError("no element #" + id + " in the page:\n" + dom);
        Matcher a = Pattern.compile(attribute + "=\"(\\d+)\"").matcher(element.group());
        if (!a.find()) throw new AssertionError("#" + id + " has no " + attribute + ": " + element.group());
        return Integer.parseInt(a.group(1));
    }
}
