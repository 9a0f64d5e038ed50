package psr.consensus.structure;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * Rules a reader of the replica core relies on: it is deterministic (no threads, clocks, I/O, OSGi, or randomness
 * other than the seeded {@code Random} it is given), so the simulator's runs reproduce from their seeds; and the
 * consensus bundle reaches OS services and transports only through {@code psr.api}, never a backend directly.
 */
class CoreStructureTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("psr.consensus");
    }

    @Test
    void theReplicaCoreUsesNoThreadsClocksIoOrOsgi() {
        noClasses().that().resideInAPackage("psr.consensus.core..")
                .should().dependOnClassesThat().resideInAnyPackage("java.util.concurrent..", "java.time..", "java.io..",
                        "java.nio.file..", "java.nio.channels..", "java.net..", "org.osgi..", "psr.api.osal..", "psr.api.transport..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName(Thread.class.getName())
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(System.class, "nanoTime")
                .orShould().callMethod(Math.class, "random")
                .orShould().callConstructor(java.util.Random.class)
                .because("the core is a deterministic state machine driven by step/tick/submit; time, I/O and threads belong to its driver")
                .check(main);
    }

    @Test
    void theCoreDoesNotReachTheLayersAboveIt() {
        noClasses().that().resideInAPackage("psr.consensus.core..")
                .should().dependOnClassesThat().resideInAnyPackage("psr.consensus.part..", "psr.consensus.store..", "psr.consensus.codec..")
                .because("storage, codec and runtime are built on the core, not the other way round")
                .check(main);
    }

    @Test
    void consensusNeverReachesAnOsalBackendTheTransportOrMqttDirectly() {
        noClasses().that().resideInAPackage("psr.consensus..")
                .should().dependOnClassesThat().resideInAnyPackage("psr.osal.linux..", "psr.osal.vxworks..", "psr.transport.udp..",
                        "psr.bridge..", "org.eclipse.paho..", "org.eclipse.tahu..")
                .because("backends and transports are swappable bundles behind psr.api services, and only psr.bridge.mqtt talks MQTT")
                .check(main);
    }

    @Test
    void consensusReachesNoPsrBundleButTheApi() {
        noClasses().should().dependOnClassesThat(resideInAPackage("psr..").and(not(resideInAnyPackage("psr.api..", "psr.consensus..", "psr.settings"))))
                .because("every other PSR bundle (OSAL backends and their shared code, transports, the bridge) is reached only through psr.api"
                        + " services; the settings checker (psr.settings, not psr.settings.secrets) is embedded, not reached")
                .check(main);
    }
}
