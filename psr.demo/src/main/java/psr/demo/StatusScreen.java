package psr.demo;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The terminal: a fixed block at the top (where to look, what to type, one line per part) and, below it, what happens
 * (events, answers to commands). On a terminal the block is redrawn in place twice a second (ANSI: a scroll region
 * keeps it out of the scrolling part); without one ({@code --headless}, output to a file or pipe) the part lines are
 * printed every 5 s as plain lines.
 */
final class StatusScreen {
    private final PrintStream out;
    private final boolean live;
    private final List<String> header;
    private final int rows;
    private int drawn;

    StatusScreen(PrintStream out, boolean live, List<String> header) {
        this.out = out;
        this.live = live;
        this.header = header;
        this.rows = live ? terminalRows() : 0;
    }

    /** Prints the header, and on a terminal sets the scroll region below the block. */
    synchronized void begin(PlantView view) {
        if (!live) {
            header.forEach(out::println);
            out.flush();
            return;
        }
        List<String> block = block(view);
        out.print("\033[2J\033[H");
        block.forEach(l -> out.print(l + "\033[K\n"));
        drawn = block.size();
        out.print("\033[" + (drawn + 1) + ";" + rows + "r\033[" + (drawn + 1) + ";1H");
        out.flush();
    }

    /** Redraws the block (live), or prints the part lines (plain); then the events since last time. */
    synchronized void refresh(PlantView view, boolean printPlainStatus) {
        List<String> events = view.takeEvents();
        if (live) {
            List<String> block = block(view);
            StringBuilder b = new StringBuilder("\0337");
            for (int i = 0; i < Math.min(block.size(), drawn); i++) b.append("\033[").append(i + 1).append(";1H").append(block.get(i)).append("\033[K");
            b.append("\0338");
            out.print(b);
            events.forEach(e -> out.println("  " + e));
        } else {
            events.forEach(e -> out.println("  " + e));
            if (printPlainStatus) statusLines(view).forEach(out::println);
        }
        out.flush();
    }

    /** A message in the scrolling part (answers to commands). */
    synchronized void say(String text) {
        out.println(text);
        out.flush();
    }

    /** Gives the terminal back: no scroll region, cursor at the bottom. */
    synchronized void end() {
        if (live) out.print("\033[r\033[" + rows + ";1H\n");
        out.flush();
    }

    private List<String> block(PlantView view) {
        List<String> block = new ArrayList<>(header);
        block.add("");
        block.addAll(statusLines(view));
        block.add("-".repeat(100));
        return block;
    }

    /** The controllers' states and one line per part: primary, view, commit rate, MQTT, process values. */
    static List<String> statusLines(PlantView view) {
        List<String> lines = new ArrayList<>();
        StringBuilder controllers = new StringBuilder("  controllers ");
        Map<Integer, String> online = view.nodesOnline();
        for (Map.Entry<Integer, String> c : view.controllerStates().entrySet()) {
            controllers.append("  ").append(c.getKey()).append(' ').append(c.getValue().equals("killed") ? "KILLED" : c.getValue())
                    .append(" (mqtt ").append(online.getOrDefault(c.getKey(), "-")).append(')');
        }
        lines.add(controllers.toString());
        lines.add(String.format(Locale.ROOT, "  %-7s %-8s %5s %10s  %-8s %s", "PART", "PRIMARY", "VIEW", "COMMITS/S", "MQTT", "PROCESS (as MQTT subscribers see it)"));
        for (PlantView.PartSummary p : view.parts()) {
            lines.add(String.format(Locale.ROOT, "  %-7s %-8s %5s %10.1f  %-8s %s", p.part(), p.primary() < 0 ? "none" : "node " + p.primary(),
                    p.view() < 0 ? "-" : String.valueOf(p.view()), p.commitsPerSecond(), p.primaryMqtt(), processValues(p)));
        }
        return lines;
    }

    static String processValues(PlantView.PartSummary p) {
        Map<String, PlantView.Reading> v = p.values();
        if (p.part().equals("tank")) {
            if (!v.containsKey("level")) return "(nothing published yet)";
            return String.format(Locale.ROOT, "cycle %d  level %.3f m  setpoint %.2f m  valve %3.0f %%  pump %s  inflow %.2f m3",
                    (long) PlantView.number(v, PlantView.CYCLE_KEY, 0), PlantView.number(v, "level", Double.NaN),
                    PlantView.number(v, "setpoint", PlantView.DEFAULT_SETPOINT), 100 * PlantView.number(v, "valve", Double.NaN),
                    "true".equals(PlantView.text(v, "pump")) ? "on" : "off", PlantView.number(v, "inflow.total", Double.NaN));
        }
        if (p.part().equals("alarms")) {
            if (v.isEmpty()) return "(nothing published yet)";
            return "level high " + ("true".equals(PlantView.text(v, "tank.level.high")) ? "ALARM" : "ok") + "  level low "
                    + ("true".equals(PlantView.text(v, "tank.level.low")) ? "ALARM" : "ok");
        }
        return v.size() + " keys";
    }

    /** The terminal's height, from stty; 24 when it cannot tell. */
    private static int terminalRows() {
        try {
            Process p = new ProcessBuilder("sh", "-c", "stty size < /dev/tty").redirectErrorStream(true).start();
            String answer = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            int rows = Integer.parseInt(answer.split("\\s+")[0]);
            return rows >= 16 ? rows : 24;
        } catch (Exception e) {
            return 24;
        }
    }
}
