package dev.rill;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layering, checked on the compiled main classes of every module on the server's class path:
 * rill-spi depends on nothing of Rill; the engine on the SPI alone and on no framework; plugins on
 * the SPI alone (and one plugin never on another); the command line on no server internals; no
 * package cycles among Rill's packages, nor among the server's.
 */
class ArchitectureTest {

    /** Main classes only: test classes sit in test-classes folders (the engine's under target/engine) or test-jars. */
    static final ImportOption MAIN_ONLY = location -> !location.contains("/test-classes/") && !location.contains("-tests.jar");
    static final JavaClasses CLASSES = new ClassFileImporter().withImportOption(MAIN_ONLY).importPackages("dev.rill");

    static final String[] SPI = {"dev.rill.spi..", "dev.rill.tensor..", "dev.rill.nn..", "dev.rill.io..", "dev.rill.gguf.."};
    static final String[] ENGINE = {"dev.rill.model..", "dev.rill.generate..", "dev.rill.plugin..", "dev.rill.sampling..",
            "dev.rill.train..", "dev.rill.template.."};
    static final String[] PLUGINS = {"dev.rill.tokenizer..", "dev.rill.positional..", "dev.rill.sampler..", "dev.rill.backend..",
            "dev.rill.family.."};
    static final String[] APPLICATION = {"dev.rill.server..", "dev.rill.cli.."};
    static final String[] FRAMEWORKS = {"io.quarkus..", "io.smallrye..", "io.vertx..", "jakarta..", "org.jboss..", "picocli.."};

    @Test
    void theSpiDependsOnNothingElseOfRill() {
        noClasses().that().resideInAnyPackage(SPI)
                .should().dependOnClassesThat().resideInAnyPackage(concat(ENGINE, PLUGINS, APPLICATION))
                .because("rill-spi is all a plugin compiles against").check(CLASSES);
    }

    @Test
    void theEngineImportsNoFrameworkServerOrPlugin() {
        noClasses().that().resideInAnyPackage(concat(SPI, ENGINE))
                .should().dependOnClassesThat().resideInAnyPackage(concat(APPLICATION, FRAMEWORKS, PLUGINS))
                .because("the engine finds plugins through the SPI and has no framework code (Mutiny, Quarkus stay in the server)").check(CLASSES);
    }

    @Test
    void pluginsImportOnlyTheSpi() {
        noClasses().that().resideInAnyPackage(PLUGINS)
                .should().dependOnClassesThat().resideInAnyPackage(concat(ENGINE, APPLICATION, FRAMEWORKS))
                .because("a plugin compiles against rill-spi alone").check(CLASSES);
    }

    @Test
    void pluginsDoNotImportEachOther() {
        for (String plugin : PLUGINS) {
            String[] others = java.util.Arrays.stream(PLUGINS).filter(p -> !p.equals(plugin)).toArray(String[]::new);
            noClasses().that().resideInAPackage(plugin).should().dependOnClassesThat().resideInAnyPackage(others)
                    .because("each plugin family is its own jar").allowEmptyShould(true).check(CLASSES);
        }
    }

    @Test
    void theCommandLineUsesNoServerInternals() {
        noClasses().that().resideInAPackage("dev.rill.cli..")
                .should().dependOnClassesThat().resideInAPackage("dev.rill.server..").check(CLASSES);
    }

    @Test
    void rillsPackagesHaveNoCycles() {
        slices().matching("dev.rill.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void theServersPackagesHaveNoCycles() {
        slices().matching("dev.rill.server.(*)..").should().beFreeOfCycles().check(CLASSES);
    }

    private static String[] concat(String[]... groups) {
        return java.util.Arrays.stream(groups).flatMap(java.util.Arrays::stream).toArray(String[]::new);
    }
}
