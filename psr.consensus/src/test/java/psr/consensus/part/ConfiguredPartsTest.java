package psr.consensus.part;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;

import org.junit.jupiter.api.Test;
import org.osgi.service.component.runtime.dto.ComponentConfigurationDTO;
import org.osgi.service.component.runtime.dto.UnsatisfiedReferenceDTO;

/** Why a configured part does not run, from what Declarative Services reports about its configuration. */
class ConfiguredPartsTest {

    private static ComponentConfigurationDTO configuration(int state, String part) {
        ComponentConfigurationDTO c = new ComponentConfigurationDTO();
        c.state = state;
        c.properties = Map.of("part", part, "service.pid", "psr.part~" + part);
        return c;
    }

    @Test
    void aFailedActivationGivesItsMessageWithoutTheExceptionClass() {
        ComponentConfigurationDTO c = configuration(ComponentConfigurationDTO.FAILED_ACTIVATION, "boiler");
        c.failure = "org.osgi.service.component.ComponentException: part boiler: cannot start: storage directory /d belongs to part solo on node 1\n"
                + "\tat psr.consensus.part.PartComponent.<init>(PartComponent.java:130)";
        assertEquals(new ConfiguredParts.NotRunning("boiler", "FAILED",
                "part boiler: cannot start: storage directory /d belongs to part solo on node 1"), ConfiguredParts.of(c));
    }

    @Test
    void aConstructorsExceptionIsFoundBehindTheInvocationTargetException() {
        ComponentConfigurationDTO c = configuration(ComponentConfigurationDTO.FAILED_ACTIVATION, "pump");
        c.failure = "java.lang.reflect.InvocationTargetException\n\tat java.base/jdk.internal.reflect.X.newInstance(X.java:1)\n"
                + "Caused by: org.osgi.service.component.ComponentException: configuration psr.part~pump: property replicas = '2,3'"
                + " is not allowed: expected a list that contains this node (1)\n\tat psr.consensus.part.PartComponent.<init>(PartComponent.java:121)";
        assertEquals("configuration psr.part~pump: property replicas = '2,3' is not allowed: expected a list that contains this node (1)",
                ConfiguredParts.of(c).reason());
    }

    @Test
    void aConfigurationWaitingForATransportSaysForWhichOne() {
        ComponentConfigurationDTO c = configuration(ComponentConfigurationDTO.UNSATISFIED_REFERENCE, "boiler");
        UnsatisfiedReferenceDTO transport = new UnsatisfiedReferenceDTO();
        transport.name = "transport";
        transport.target = "(psr.node=1)";
        c.unsatisfiedReferences = new UnsatisfiedReferenceDTO[] {transport};
        assertEquals(new ConfiguredParts.NotRunning("boiler", "WAITING", "waiting for transport matching (psr.node=1)"), ConfiguredParts.of(c));
    }

    @Test
    void anActivePartIsNotListed() {
        assertNull(ConfiguredParts.of(configuration(ComponentConfigurationDTO.ACTIVE, "boiler")));
    }
}
