package psr.example.tank;

import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import psr.api.state.PrimaryTask;
import psr.api.state.Value;

/**
 * The tank's level controller, as a primary-only task: PSR runs {@link #run} every period on the controller that is
 * the primary of part {@code tank}, and commits what it writes together with the cycle number. After a failover the
 * new primary goes on from the last committed cycle, so the process sees no step back and no cycle twice.
 *
 * <p>Keys of the part (each value stamped with the time of the cycle that wrote it): {@code level}, {@code valve},
 * {@code pump}, {@code integral}, {@code inflow.total}; {@code setpoint} is the operator's (written with
 * {@code psr:put tank setpoint double 1.8}); without it the controller holds {@link Config#setpoint()}.
 */
@Component(service = PrimaryTask.class, configurationPid = "psr.example.tank.control",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
// bnd turns Config's defaults into the component's properties: the whiteboard properties PSR reads (psr.part, psr.task,
// psr.task.period.ms) are defaulted there, in one place, and a configuration may change them.
@Designate(ocd = TankControl.Config.class)
public final class TankControl implements PrimaryTask {

    /** The task's configuration (PID {@code psr.example.tank.control}); PSR reads the first three as service properties. */
    @ObjectClassDefinition(name = "PSR example: tank control", description = "A level controller run on the primary of its part")
    public @interface Config {
        @AttributeDefinition(name = "psr.part", description = "the part holding the tank's state")
        String psr_part() default "tank";

        @AttributeDefinition(name = "psr.task", description = "the task's name (its cycle counter is the key $task/<name>/cycle)")
        String psr_task() default "tank-control";

        @AttributeDefinition(name = "psr.task.period.ms", description = "the cycle time, at least 10 ms")
        int psr_task_period_ms() default 100;

        @AttributeDefinition(name = "setpoint", description = "the level (m) held while the part has no 'setpoint' key")
        double setpoint() default 1.5;
    }

    private final double defaultSetpoint;
    private final double dt;

    @Activate
    public TankControl(Config config) {
        this.defaultSetpoint = config.setpoint();
        this.dt = config.psr_task_period_ms() / 1000.0;
    }

    @Override
    public void run(TaskCycle cycle) {
        TankModel.State before = new TankModel.State(number(cycle, "level"), number(cycle, "valve"),
                cycle.read("pump").map(Value::asBool).orElse(false), number(cycle, "integral"), number(cycle, "inflow.total"));
        double setpoint = cycle.read("setpoint").flatMap(TankControl::asDouble).orElse(defaultSetpoint);
        TankModel.State after = TankModel.step(before, cycle.number(), setpoint, dt);
        long now = System.currentTimeMillis();
        cycle.put("level", Value.ofDouble(after.level(), now));
        cycle.put("valve", Value.ofDouble(after.valve(), now));
        if (after.pump() != before.pump()) cycle.put("pump", Value.ofBool(after.pump(), now));
        cycle.put("integral", Value.ofDouble(after.integral(), now));
        cycle.put("inflow.total", Value.ofDouble(after.inflowTotal(), now));
    }

    private static double number(TaskCycle cycle, String key) {
        return cycle.read(key).flatMap(TankControl::asDouble).orElse(0.0);
    }

    /**
     * A value as a number: an operator may write the setpoint as any numeric type. Anything else counts as absent,
     * so a mistyped setpoint never stops the controller (it holds the configured one).
     */
    static Optional<Double> asDouble(Value v) {
        return switch (v.type()) {
            case DOUBLE -> Optional.of(v.asDouble());
            case FLOAT -> Optional.of((double) v.asFloat());
            case INT32 -> Optional.of((double) v.asInt32());
            case INT64 -> Optional.of((double) v.asInt64());
            default -> Optional.empty();
        };
    }
}
