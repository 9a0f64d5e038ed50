package psr.demo;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import psr.runtime.LocalCommand;

/**
 * Asks every controller once a second what its replicas are doing ({@code psr:status -1} over its command socket) and
 * puts the answers into {@link PlantView}. Runs on its own thread; a controller that does not answer (killed, still
 * starting) is shown as such, nothing waits for it.
 */
final class StatusPoller implements Runnable {
    private static final Pattern LINE = Pattern.compile("part=(\\S+) node=\\d+ role=(\\S+) view=(\\d+) primary=(-?\\d+) qc=(\\w+) op=\\d+"
            + " commit=(\\d+) lag=\\d+ dropped=\\d+ peers=(.*?) refusal=\"(.*)\"");

    /** A controller's status answer is local and instant; one that takes longer is frozen (SIGSTOP, swapping). */
    static final long POLL_TIMEOUT_MS = 1500;

    private final List<Controller> controllers;
    private final PlantView view;
    private volatile boolean stopped;

    StatusPoller(List<Controller> controllers, PlantView view) {
        this.controllers = controllers;
        this.view = view;
    }

    @Override
    public void run() {
        while (!stopped) {
            long started = System.currentTimeMillis();
            for (Controller c : controllers) poll(c);
            view.roundDone(System.currentTimeMillis());
            long sleep = 1000 - (System.currentTimeMillis() - started);
            try {
                if (sleep > 0) Thread.sleep(sleep);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    void stop() {
        stopped = true;
    }

    private void poll(Controller c) {
        if (!c.alive()) {
            view.controllerState(c.node, c.killed() ? "killed" : "stopped");
            return;
        }
        try {
            LocalCommand.Answer answer = c.exec("psr:status -1", POLL_TIMEOUT_MS);
            view.replicas(c.node, parse(answer.output()));
            view.controllerState(c.node, answer.outcome() == LocalCommand.Outcome.UNKNOWN ? "not answering" : "running");
        } catch (IOException e) {
            view.controllerState(c.node, "starting");
        }
    }

    /** The replicas in one {@code psr:status -1} answer, by part (parts that are not running are left out). */
    static Map<String, PlantView.ReplicaLine> parse(String output) {
        Map<String, PlantView.ReplicaLine> lines = new TreeMap<>();
        for (String line : output.split("\n")) {
            Matcher m = LINE.matcher(line.strip());
            if (!m.matches()) continue;
            lines.put(m.group(1), new PlantView.ReplicaLine(m.group(2), Long.parseLong(m.group(3)), Integer.parseInt(m.group(4)),
                    Boolean.parseBoolean(m.group(5)), Long.parseLong(m.group(6)), m.group(7), m.group(8)));
        }
        return lines;
    }
}
