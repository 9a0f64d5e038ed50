package psr.example.tank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.annotation.Annotation;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

import psr.api.state.PrimaryTask.TaskCycle;
import psr.api.state.Value;

/** The tasks' cycles against a map standing in for the committed state (PSR's own tests cover the commit). */
class ControlTasksTest {

    /** One cycle over {@code state}: reads see the state, writes land in it when the cycle ends (as a commit would). */
    static void runCycle(psr.api.state.PrimaryTask task, Map<String, Value> state, long number) {
        Map<String, Value> staged = new HashMap<>();
        task.run(new TaskCycle() {
            @Override public long number() { return number; }
            @Override public Optional<Value> read(String key) { return Optional.ofNullable(state.get(key)); }
            @Override public void put(String key, Value value) { staged.put(key, value); }
            @Override public void delete(String key) { staged.put(key, null); }
        });
        staged.forEach((k, v) -> {
            if (v == null) state.remove(k); else state.put(k, v);
        });
    }

    static TankControl.Config controlConfig(double setpoint) {
        return new TankControl.Config() {
            @Override public Class<? extends Annotation> annotationType() { return TankControl.Config.class; }
            @Override public String psr_part() { return "tank"; }
            @Override public String psr_task() { return "tank-control"; }
            @Override public int psr_task_period_ms() { return 100; }
            @Override public double setpoint() { return setpoint; }
        };
    }

    @Test
    void theControlTaskWritesTheModelsStepAndTakesTheOperatorsSetpoint() {
        Map<String, Value> state = new HashMap<>();
        TankControl control = new TankControl(controlConfig(1.5));
        TankModel.State expected = TankModel.State.EMPTY;
        for (long cycle = 1; cycle <= 50; cycle++) {
            runCycle(control, state, cycle);
            expected = TankModel.step(expected, cycle, 1.5, 0.1);
        }
        assertEquals(expected.level(), state.get("level").asDouble(), 1e-12);
        assertEquals(expected.inflowTotal(), state.get("inflow.total").asDouble(), 1e-12);
        assertTrue(state.get("pump").asBool());

        state.put("setpoint", Value.ofInt32(2)); // an operator's int32 setpoint counts
        TankModel.State before = new TankModel.State(state.get("level").asDouble(), state.get("valve").asDouble(), true,
                state.get("integral").asDouble(), state.get("inflow.total").asDouble());
        runCycle(control, state, 51);
        assertEquals(TankModel.step(before, 51, 2.0, 0.1).valve(), state.get("valve").asDouble(), 1e-12);

        state.put("setpoint", Value.ofString("high")); // a mistyped setpoint does not stop the controller
        runCycle(control, state, 52);
        assertTrue(state.containsKey("level"));
    }

    @Test
    void alarmsAreWrittenOnceKnownThenOnlyWhenTheyChangeWithHysteresis() {
        Map<String, Value> alarms = new HashMap<>();
        long[] writes = new long[1];
        double[] levels = {1.0, 2.21, 2.19, 2.14, 0.29, 0.33, 0.36};
        boolean[] high = {false, true, true, false, false, false, false};
        boolean[] low = {false, false, false, false, true, true, false};
        for (int i = 0; i < levels.length; i++) {
            double level = levels[i];
            Map<String, Value> before = new HashMap<>(alarms);
            Map<String, Value> staged = new HashMap<>();
            TaskCycle cycle = new TaskCycle() {
                @Override public long number() { return 1; }
                @Override public Optional<Value> read(String key) { return Optional.ofNullable(alarms.get(key)); }
                @Override public void put(String key, Value value) { staged.put(key, value); writes[0]++; }
                @Override public void delete(String key) { staged.put(key, null); }
            };
            LevelAlarms.update(cycle, LevelAlarms.HIGH, level > 2.2, level < 2.15, 0);
            LevelAlarms.update(cycle, LevelAlarms.LOW, level < 0.3, level > 0.35, 0);
            alarms.putAll(staged);
            assertEquals(high[i], alarms.get(LevelAlarms.HIGH).asBool(), "high at level " + level);
            assertEquals(low[i], alarms.get(LevelAlarms.LOW).asBool(), "low at level " + level);
            if (i > 0) {
                for (String k : staged.keySet()) assertFalse(before.get(k).equals(staged.get(k)), "rewrote an unchanged " + k);
            }
        }
        assertEquals(2 + 4, writes[0], "two first writes, then one per change");
    }
}
