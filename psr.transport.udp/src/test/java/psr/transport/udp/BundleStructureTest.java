package psr.transport.udp;

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
 * What this bundle may reach: no MQTT library (only psr.bridge.mqtt does), and of PSR's own packages only
 * {@code psr.api..}, {@code psr.transport.udp..} and the embedded {@code psr.settings..}. The rules check this module's own main classes (tests
 * excluded); ArchUnit fails a rule that checked no class, so an import that found nothing cannot pass.
 */
class BundleStructureTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("psr.transport.udp");
    }

    @Test
    void reachesNoMqtt() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("org.eclipse.paho..", "org.eclipse.tahu..")
                .because("only psr.bridge.mqtt talks MQTT (Paho) and Sparkplug (Tahu): the plant network is the bridge's job")
                .check(main);
    }

    @Test
    void reachesOnlyThePsrPackagesItMayUse() {
        noClasses().should().dependOnClassesThat(resideInAPackage("psr..").and(not(resideInAnyPackage("psr.api..", "psr.transport.udp..", "psr.settings.."))))
                .because("the transport provides psr.api.transport and uses OS services only through psr.api.osal; it never reaches consensus or an OSAL backend"
                        + " (the settings checker and secrets plugin, psr.settings, are embedded in it)")
                .check(main);
    }
}
