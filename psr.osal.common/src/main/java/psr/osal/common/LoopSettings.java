package psr.osal.common;

import psr.api.osal.EventLoops;

/** The checks of an event loop's name and priority, with the errors every backend gives. */
public final class LoopSettings {
    private LoopSettings() {}

    public static String checkName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("event loop name '" + name + "' is empty: give each loop a name "
                    + "for diagnostics");
        }
        return name;
    }

    public static int checkPriority(int priority) {
        if (priority < EventLoops.PRIORITY_HIGHEST || priority > EventLoops.PRIORITY_LOWEST) {
            throw new IllegalArgumentException("event loop priority " + priority + " is out of range: expected "
                    + EventLoops.PRIORITY_HIGHEST + " (most urgent) to " + EventLoops.PRIORITY_LOWEST
                    + " (least urgent)");
        }
        return priority;
    }

    /** The error for a periodic timer whose period is not positive. */
    public static IllegalArgumentException badPeriod(long period, Object unit, String loopName) {
        return new IllegalArgumentException("period " + period + " " + unit + " of a periodic timer on loop '"
                + loopName + "' must be positive");
    }
}
