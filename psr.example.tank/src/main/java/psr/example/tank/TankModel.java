package psr.example.tank;

/**
 * The simulated process: a tank filled through a valve and drained by a pump, and the level controller that sets
 * the valve. Pure and deterministic, so the control task can be replayed from any committed state: one step is a
 * function of the state the last cycle committed, the cycle number and the setpoint, nothing else.
 *
 * <p>Units: level in metres, flows in cubic metres per second, volumes in cubic metres, time in seconds.
 */
public final class TankModel {
    /** Cross-section of the tank (m²) and its height (m). */
    public static final double AREA = 1.0;
    public static final double HEIGHT = 3.0;
    /** Inflow with the valve fully open, pump outflow, and a small leak that is always there (m³/s). */
    public static final double VALVE_FLOW = 0.08;
    public static final double PUMP_FLOW = 0.04;
    public static final double LEAK_FLOW = 0.002;
    /** The pump runs on a fixed demand pattern: on for 600 cycles, off for 300 (at 100 ms: 60 s on, 30 s off). */
    public static final long PUMP_ON_CYCLES = 600;
    public static final long PUMP_PERIOD_CYCLES = 900;
    /** PI controller gains on the level error. */
    public static final double KP = 4.0;
    public static final double KI = 0.2;

    private TankModel() {}

    /**
     * The committed state of the process.
     *
     * @param level       level (m), 0 to {@link #HEIGHT}
     * @param valve       valve opening, 0 (closed) to 1 (open)
     * @param pump        whether the pump runs
     * @param integral    the controller's integral of the level error (m·s)
     * @param inflowTotal volume that has flowed in since the first cycle (m³); never decreases
     */
    public record State(double level, double valve, boolean pump, double integral, double inflowTotal) {
        public static final State EMPTY = new State(0, 0, false, 0, 0);
    }

    /** Whether the pump runs in {@code cycle}: the demand pattern, so every controller agrees on it. */
    public static boolean pumpDemand(long cycle) {
        return Math.floorMod(cycle, PUMP_PERIOD_CYCLES) < PUMP_ON_CYCLES;
    }

    /** One control cycle of {@code dt} seconds: the controller sets the valve, then the level moves. */
    public static State step(State s, long cycle, double setpoint, double dt) {
        double error = setpoint - s.level();
        // Integrate only while the valve is not saturated the same way (anti-windup).
        double integral = s.integral() + error * dt;
        double valve = clamp(KP * error + KI * integral, 0, 1);
        if (valve != KP * error + KI * integral) integral = s.integral();
        boolean pump = pumpDemand(cycle);
        double inflow = valve * VALVE_FLOW;
        double outflow = (pump && s.level() > 0 ? PUMP_FLOW : 0) + (s.level() > 0 ? LEAK_FLOW : 0);
        double level = clamp(s.level() + (inflow - outflow) * dt / AREA, 0, HEIGHT);
        return new State(level, valve, pump, integral, s.inflowTotal() + inflow * dt);
    }

    private static double clamp(double v, double low, double high) {
        return Math.max(low, Math.min(high, v));
    }
}
