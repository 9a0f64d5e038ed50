package psr.bridge.mqtt;

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
 * What this bundle may reach: of PSR's own packages only {@code psr.api..}, {@code psr.bridge.mqtt..} and the embedded {@code psr.settings..}. The
 * rules check this module's own main classes (tests excluded); ArchUnit fails a rule that checked no class, so
 * an import that found nothing cannot pass.
 */
class BundleStructureTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("psr.bridge.mqtt");
    }

    @Test
    void reachesOnlyThePsrPackagesItMayUse() {
        noClasses().should().dependOnClassesThat(resideInAPackage("psr..").and(not(resideInAnyPackage("psr.api..", "psr.bridge.mqtt..", "psr.settings.."))))
                .because("the bridge follows parts through the public state API; it never reaches consensus, a backend or the transport"
                        + " (the settings checker and secrets plugin, psr.settings, are embedded in it)")
                .check(main);
    }
}
