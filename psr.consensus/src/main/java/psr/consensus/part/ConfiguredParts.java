package psr.consensus.part;

import java.util.ArrayList;
import java.util.List;

import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;

/**
 * The parts configured on this node that do not run, and why, as Declarative Services knows them: a
 * {@code psr.part} configuration whose component failed to activate (a bad value, storage in use, ...) or waits for
 * a service (no transport yet, or none matching {@code transport.target}). What runs is a {@code PartState}
 * service; this is everything else an operator configured.
 */
final class ConfiguredParts {

    /** One configured part that does not run. */
    record NotRunning(String part, String state, String reason) {}

    private ConfiguredParts() {}

    static List<NotRunning> notRunning(ServiceComponentRuntime scr) {
        List<NotRunning> out = new ArrayList<>();
        for (ComponentDescriptionDTO description : scr.getComponentDescriptionDTOs()) {
            if (!PartComponent.PID.equals(description.name)) continue;
            for (ComponentConfigurationDTO c : scr.getComponentConfigurationDTOs(description)) {
                NotRunning n = of(c);
                if (n != null) out.add(n);
            }
        }
        out.sort((a, b) -> a.part().compareTo(b.part()));
        return out;
    }

    /** Why this configuration of a part does not run, or null when it runs. */
    static NotRunning of(ComponentConfigurationDTO c) {
        Object part = c.properties == null ? null : c.properties.get("part");
        String name = part != null ? String.valueOf(part)
                : "(configuration " + (c.properties == null ? "?" : c.properties.get("service.pid")) + ")";
        switch (c.state) {
            case ComponentConfigurationDTO.ACTIVE:
                String failed = c.properties == null ? null : PartComponent.restartFailure(String.valueOf(c.properties.get("service.pid")));
                return failed == null ? null : new NotRunning(name, "FAILED", failed);
            case ComponentConfigurationDTO.FAILED_ACTIVATION:
                String failure = c.failure == null || c.failure.isBlank() ? "activation failed" : firstLine(c.failure);
                return new NotRunning(name, "FAILED", failure);
            case ComponentConfigurationDTO.UNSATISFIED_REFERENCE:
                List<String> waiting = new ArrayList<>();
                if (c.unsatisfiedReferences != null) {
                    for (UnsatisfiedReferenceDTO r : c.unsatisfiedReferences) {
                        waiting.add(r.name + (r.target == null || r.target.isBlank() ? "" : " matching " + r.target));
                    }
                }
                return new NotRunning(name, "WAITING", "waiting for " + (waiting.isEmpty() ? "a service" : String.join(", ", waiting)));
            default:
                return new NotRunning(name, "STARTING", "being activated");
        }
    }

    /**
     * What an activation failure says, without the stack: the message of its root cause (SCR reports a constructor's
     * exception wrapped in an InvocationTargetException), without the exception class in front of it.
     */
    private static String firstLine(String failure) {
        String[] lines = failure.strip().split("\\R");
        String line = lines[0];
        for (String l : lines) {
            if (l.startsWith("Caused by: ")) line = l.substring("Caused by: ".length());
        }
        int colon = line.indexOf(": ");
        if (colon > 0 && line.substring(0, colon).matches("[\\w.$]+(Exception|Error)")) line = line.substring(colon + 2);
        return line;
    }
}
