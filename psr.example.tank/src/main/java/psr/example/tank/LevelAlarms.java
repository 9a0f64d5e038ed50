package psr.example.tank;

import java.util.Optional;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import psr.api.state.PartState;
import psr.api.state.PrimaryTask;
import psr.api.state.StateException;
import psr.api.state.Value;
import psr.api.state.ValueType;

/**
 * Level alarms, kept in a second part ({@code alarms}) whose primary may sit on another controller than the tank's:
 * a primary-only task of that part reads the tank's level from this controller's own replica of part {@code tank}
 * (a LOCAL read: it may be a few milliseconds behind the tank's primary, which is fine for an alarm) and raises or
 * clears {@code tank.level.high} and {@code tank.level.low}, with a hysteresis so that a level on the limit does not
 * make the alarm chatter. An alarm is written only when it changes.
 */
@Component(service = PrimaryTask.class, configurationPid = "psr.example.tank.alarms",
        configurationPolicy = ConfigurationPolicy.OPTIONAL)
// bnd turns Config's defaults into the component's properties: the whiteboard properties PSR reads (psr.part, psr.task,
// psr.task.period.ms) are defaulted there, in one place, and a configuration may change them.
@Designate(ocd = LevelAlarms.Config.class)
public final class LevelAlarms implements PrimaryTask {

    @ObjectClassDefinition(name = "PSR example: tank level alarms", description = "Level alarms of the example tank, in their own part")
    public @interface Config {
        @AttributeDefinition(name = "psr.part", description = "the part holding the alarms")
        String psr_part() default "alarms";

        @AttributeDefinition(name = "psr.task", description = "the task's name")
        String psr_task() default "tank-alarms";

        @AttributeDefinition(name = "psr.task.period.ms", description = "how often the alarms are evaluated")
        int psr_task_period_ms() default 200;

        @AttributeDefinition(name = "PartState.target", description = "the tank's part (an LDAP filter on the state services)")
        String PartState_target() default "(psr.part=tank)";

        @AttributeDefinition(name = "high", description = "level (m) above which tank.level.high is raised")
        double high() default 2.2;

        @AttributeDefinition(name = "low", description = "level (m) below which tank.level.low is raised")
        double low() default 0.3;

        @AttributeDefinition(name = "hysteresis", description = "how far (m) back past the limit the level must go to clear an alarm")
        double hysteresis() default 0.05;
    }

    public static final String HIGH = "tank.level.high";
    public static final String LOW = "tank.level.low";

    private final PartState tank;
    private final Config config;

    @Activate
    public LevelAlarms(@Reference(name = "PartState", target = "(psr.part=tank)") PartState tank, Config config) {
        this.tank = tank;
        this.config = config;
    }

    @Override
    public void run(TaskCycle cycle) {
        Value level;
        try {
            level = tank.readLocal("level").get("level");
        } catch (StateException e) {
            return; // this replica of the tank is catching up after a restart: evaluate again next cycle
        }
        if (level == null || level.type() != ValueType.DOUBLE) return;
        double l = level.asDouble();
        update(cycle, HIGH, l > config.high(), l < config.high() - config.hysteresis(), level.timestamp());
        update(cycle, LOW, l < config.low(), l > config.low() + config.hysteresis(), level.timestamp());
    }

    /**
     * Raises the alarm when {@code raise}, clears it when {@code clear}; in between it stays as it is. Written when
     * it changes, and once at the start so that the alarm is known (false), not just absent.
     */
    static void update(TaskCycle cycle, String key, boolean raise, boolean clear, long timestamp) {
        Optional<Value> current = cycle.read(key);
        boolean active = current.map(Value::asBool).orElse(false);
        boolean next = active ? !clear : raise;
        if (current.isEmpty() || next != active) cycle.put(key, Value.ofBool(next, timestamp));
    }
}
