package dev.rill.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths in the repository these tests check. */
final class Repo {

    private Repo() {
    }

    /** The repository root: the {@code rill.root} system property (set by the build), else found from the working directory. */
    static Path root() {
        String prop = System.getProperty("rill.root");
        if (prop != null) return Path.of(prop).toAbsolutePath().normalize();
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("k8s")) && Files.isRegularFile(p.resolve("server/pom.xml"))) return p;
        }
        throw new IllegalStateException("cannot find the repository root (no k8s/ and server/pom.xml above " + Path.of("").toAbsolutePath() + ")");
    }

    static Path k8s() {
        return root().resolve("k8s");
    }

    static Path overlay(String name) {
        return k8s().resolve("overlays").resolve(name);
    }

    static Path server() {
        return root().resolve("server");
    }

    /** The packaged application, made by {@code package} of the server module, which the reactor runs before this module. */
    static Path quarkusApp() {
        Path app = server().resolve("target/quarkus-app");
        if (!Files.isRegularFile(app.resolve("quarkus-run.jar"))) {
            throw new IllegalStateException(app + "/quarkus-run.jar is missing: these tests check the packaged server; run ./mvnw verify "
                    + "(or ./mvnw package -DskipTests first)");
        }
        return app;
    }

    static Path dockerfile(String name) {
        return server().resolve("src/main/docker").resolve(name);
    }

    /** A scratch folder under this module's target/. */
    static Path scratch(String name) throws java.io.IOException {
        Path dir = root().resolve("deploy/target/scratch").resolve(name);
        if (Files.exists(dir)) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        return Files.createDirectories(dir);
    }
}
