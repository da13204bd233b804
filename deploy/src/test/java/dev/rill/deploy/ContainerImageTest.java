package dev.rill.deploy;

import io.fabric8.kubernetes.api.model.Container;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The image recipes (server/src/main/docker) against the packaged application: what they copy exists
 * after {@code package}, what they run is there, and they agree with the manifests. No image is built:
 * there is no Docker daemon here.
 */
class ContainerImageTest {

    static final Path CONTEXT = Repo.server();

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.jvm", "Dockerfile.tornadovm"})
    void everyCopyFromTheContextFindsTheBuildOutput(String name) {
        Repo.quarkusApp();
        Dockerfile d = Dockerfile.read(Repo.dockerfile(name));
        List<Dockerfile.Copy> fromContext = d.copies().stream().filter(c -> !c.flags().containsKey("from")).toList();
        assertEquals(4, fromContext.size(), "the four layers of Quarkus's fast-jar: lib/, *.jar, app/, quarkus/");
        for (Dockerfile.Copy c : fromContext) {
            for (String source : c.sources()) {
                assertFalse(Dockerfile.matches(CONTEXT, source).isEmpty(), name + ": COPY " + source + " matches nothing in " + CONTEXT);
            }
            assertEquals("185:185", c.flags().get("chown"), name + ": the files belong to the user the container runs as");
        }
        // Every part of the packaged application is copied.
        try (var parts = Files.list(Repo.quarkusApp())) {
            for (Path part : parts.filter(p -> Files.isDirectory(p) || p.toString().endsWith(".jar")).toList()) {
                assertTrue(d.hostPath(CONTEXT, "/deployments/" + part.getFileName()).isPresent(), name + " does not copy " + part);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void jvmImageRunsServeFromTheCopiedJarWithTheVectorModule() throws IOException {
        Dockerfile d = Dockerfile.read(Repo.dockerfile("Dockerfile.jvm"));
        List<String> entry = d.last("ENTRYPOINT").orElseThrow().command();
        assertEquals(List.of("java", "-jar", "/deployments/quarkus-run.jar"), entry);
        Path jar = d.hostPath(CONTEXT, "/deployments/quarkus-run.jar").orElseThrow(() -> new AssertionError("the entry point's jar is not copied"));
        try (JarFile j = new JarFile(jar.toFile())) {
            assertEquals("io.quarkus.bootstrap.runner.QuarkusEntryPoint", j.getManifest().getMainAttributes().getValue("Main-Class"));
        }
        assertEquals(List.of("serve"), d.last("CMD").orElseThrow().command());
        Container c = Manifests.overlay("dev").container();
        assertEquals(List.of("serve"), c.getArgs(), "the Deployment runs the same command");
        assertTrue(c.getCommand() == null || c.getCommand().isEmpty(), "the Deployment keeps the image's entry point");
        JvmOptions options = JvmOptions.parse(d.env().get("JDK_JAVA_OPTIONS"));
        assertTrue(options.addedModules().contains(JvmOptions.VECTOR_MODULE), "JDK_JAVA_OPTIONS: " + options.tokens());
        assertEquals(Checks.jvmOptionsOf(c).tokens(), options.tokens(), "the image and the Deployment start the JVM alike");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile.jvm", "Dockerfile.tornadovm"})
    void jdkOfTheBuildRunsAsTheUserAndOnThePortOfTheManifests(String name) throws IOException {
        Dockerfile d = Dockerfile.read(Repo.dockerfile(name));
        String from = d.last("FROM").orElseThrow().args();
        Matcher m = Pattern.compile("eclipse-temurin:(\\d+)-(jre|jdk)").matcher(from);
        assertTrue(m.matches(), name + ": FROM " + from + " is not a Temurin image");
        Matcher release = Pattern.compile("<maven.compiler.release>(\\d+)</maven.compiler.release>").matcher(Files.readString(Repo.root().resolve("pom.xml")));
        assertTrue(release.find());
        assertEquals(release.group(1), m.group(1), name + ": the image's JDK is the one the build compiles for");

        String user = d.last("USER").orElseThrow(() -> new AssertionError(name + " runs as root")).args();
        assertTrue(user.matches("\\d+(:\\d+)?"), name + ": USER " + user + " must be numeric for runAsNonRoot to verify it");
        assertNotEquals("0", user.split(":")[0]);
        assertEquals(Long.parseLong(user.split(":")[0]), Manifests.overlay("dev").pod().getSecurityContext().getRunAsUser(),
                name + ": the manifests run the image's user");
        assertEquals(String.valueOf(Checks.APP.httpPort()), d.last("EXPOSE").orElseThrow().args(), name + ": EXPOSE is quarkus.http.port");
        assertEquals("127.0.0.1", Checks.APP.get("quarkus.http.host", "0.0.0.0"), "the server's own default is this machine only");
        assertEquals("0.0.0.0", d.env().get("QUARKUS_HTTP_HOST"), name + ": a container listens on every interface, or nobody reaches it");
        assertTrue(JvmOptions.parse(d.env().get("JDK_JAVA_OPTIONS")).addedModules().contains(JvmOptions.VECTOR_MODULE), name);
        assertEquals("/tmp", JvmOptions.parse(d.env().get("JDK_JAVA_OPTIONS")).systemProperty("java.io.tmpdir").orElse("/tmp"),
                name + ": the manifests mount the writable volume at /tmp");
    }

    @Test
    void tornadoVmImageStartsTheRunnerWithTornadoVmsArgumentsAndTheBackendOnTheClassPath() throws IOException {
        Dockerfile d = Dockerfile.read(Repo.dockerfile("Dockerfile.tornadovm"));
        String script = d.last("ENTRYPOINT").orElseThrow().command().get(2);
        assertEquals(List.of("/bin/sh", "-c"), d.last("ENTRYPOINT").orElseThrow().command().subList(0, 2));
        assertTrue(script.contains("@\"$TORNADOVM_HOME/tornado-argfile\""), script);
        assertTrue(script.contains("exec java "), "java replaces the shell, so it gets SIGTERM: " + script);
        // The class Quarkus's runner jar starts, here named explicitly because the class path is given.
        try (JarFile j = new JarFile(d.hostPath(CONTEXT, "/deployments/quarkus-run.jar").orElseThrow().toFile())) {
            String main = j.getManifest().getMainAttributes().getValue("Main-Class");
            assertTrue(script.contains("/deployments/quarkus-run.jar:$backend\" " + main + " \"$@\""), script);
        }
        // The backend jar is looked up where Quarkus puts dependencies, named as it names them (groupId.artifactId-version.jar).
        Matcher glob = Pattern.compile("/deployments/lib/main/(dev\\.rill\\.rill-backend-)tornadovm(-\\*\\.jar)").matcher(script);
        assertTrue(glob.find(), script);
        Path libMain = d.hostPath(CONTEXT, "/deployments/lib/main").orElseThrow();
        assertFalse(Dockerfile.matches(libMain, glob.group(1) + "cpu" + glob.group(2)).isEmpty(),
                "the cpu backend, named the same way, is in " + libMain);
        // TornadoVM comes from its own build context, never from the repository.
        assertTrue(d.copies().stream().anyMatch(c -> "tornadovm".equals(c.flags().get("from"))), "the SDK is copied from --build-context tornadovm");
        assertEquals(List.of("serve"), d.last("CMD").orElseThrow().command());
    }

    @Test
    void tornadoVmBackendJarNameMatchesItsModule() throws IOException {
        Path pom = Repo.root().resolve("plugins/backend-tornadovm/pom.xml");
        Assumptions.assumeTrue(Files.isRegularFile(pom), "plugins/backend-tornadovm is not in this tree");
        Matcher artifact = Pattern.compile("</parent>\\s*<artifactId>([^<]+)</artifactId>").matcher(Files.readString(pom));
        assertTrue(artifact.find(), pom.toString());
        String script = Dockerfile.read(Repo.dockerfile("Dockerfile.tornadovm")).last("ENTRYPOINT").orElseThrow().command().get(2);
        assertTrue(script.contains("/deployments/lib/main/dev.rill." + artifact.group(1) + "-*.jar"), script);
    }
}
