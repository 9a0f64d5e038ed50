package psr.settings;

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
 * What this code may reach: no PSR bundle (it is embedded in them), and the checker itself no OSGi at all, so that a
 * bundle that embeds only {@code psr.settings} (psr.consensus) imports nothing for it. The rules check this module's
 * main classes (tests excluded); ArchUnit fails a rule that checked no class, so an import that found nothing cannot
 * pass.
 */
class BundleStructureTest {
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("psr.settings");
    }

    @Test
    void reachesNoPsrBundle() {
        noClasses().should().dependOnClassesThat(resideInAPackage("psr..").and(not(resideInAnyPackage("psr.settings.."))))
                .because("every PSR component embeds this code; it cannot depend on one of them")
                .check(main);
    }

    @Test
    void theCheckerNeedsNoOsgi() {
        noClasses().that().resideInAPackage("psr.settings").should().dependOnClassesThat().resideInAnyPackage("org.osgi..")
                .because("only the secrets plugin (psr.settings.secrets) is an OSGi service; the checker is plain Java")
                .check(main);
    }
}
