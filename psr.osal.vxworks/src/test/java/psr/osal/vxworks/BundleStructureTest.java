package psr.osal.vxworks;

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
 * {@code psr.api..}, {@code psr.osal.common..} and {@code psr.osal.vxworks..}. The rules check this module's
 * own main classes (tests excluded); ArchUnit fails a rule that checked no class, so an import that found
 * nothing cannot pass.
 */
class BundleStructureTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("psr.osal.vxworks");
    }

    @Test
    void reachesNoMqtt() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("org.eclipse.paho..", "org.eclipse.tahu..")
                .because("only psr.bridge.mqtt talks MQTT (Paho) and Sparkplug (Tahu): the plant network is the bridge's job")
                .check(main);
    }

    @Test
    void reachesOnlyThePsrPackagesItMayUse() {
        noClasses().should().dependOnClassesThat(resideInAPackage("psr..").and(not(resideInAnyPackage("psr.api..", "psr.osal.common..", "psr.osal.vxworks.."))))
                .because("an OSAL backend provides psr.api.osal services with the shared backend code; it never reaches the other backend, consensus or a transport")
                .check(main);
    }
}
