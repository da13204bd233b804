package dev.rill.server.attack;

import dev.rill.model.Checkpoint;
import dev.rill.plugin.PluginRegistry;
import dev.rill.server.LiveServerTest;
import dev.rill.model.TinyModel;
import dev.rill.server.TinyModelResource;
import dev.rill.server.rest.RillResource;
import dev.rill.train.TinyModels;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Issue 15, item 9: safer defaults. The server listens on this machine only unless told otherwise;
 * {@code /api/plugins} and {@code /api/models} name jars and models, not paths on the server; a
 * training run removes what a killed one left beside its checkpoint.
 */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class SafeDefaultsTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;
    @TempDir
    Path tmp;

    @Test
    void theServerListensOnThisMachineOnly() throws IOException {
        Properties p = new Properties();
        try (InputStream in = getClass().getClassLoader().getResourceAsStream("application.properties")) {
            p.load(in);
        }
        assertEquals("127.0.0.1", p.getProperty("quarkus.http.host"));
        // This machine's own address on a network interface does not reach it (where it has one).
        Optional<InetAddress> outside = Collections.list(NetworkInterface.getNetworkInterfaces()).stream()
                .flatMap(i -> Collections.list(i.getInetAddresses()).stream())
                .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()).findFirst();
        if (outside.isPresent()) {
            try (Socket s = new Socket()) {
                assertThrows(ConnectException.class, () -> s.connect(new InetSocketAddress(outside.get(), base.getPort()), 2000),
                        "the server answers on " + outside.get());
            }
        }
        RestAssured.get("/q/health/live").then().statusCode(200);   // and on loopback it does
    }

    @Test
    void pluginsAndModelsShowNamesNotServerPaths() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("plugins"));
        Files.copy(exampleJar(), dir.resolve("top-a.jar"));
        var described = RillResource.describe(PluginRegistry.load(dir));
        List<String> sources = described.values().stream().flatMap(List::stream).map(RillResource.PluginInfo::source).filter(s -> s != null).toList();
        assertEquals(List.of("top-a.jar"), sources);
        String models = RestAssured.get("/api/models").asString();
        assertTrue(models.contains("\"source\":\"tiny\""), models);
        assertFalse(models.contains(TinyModel.checkpoint().toString()), models);
    }

    @Test
    void trainingRemovesWhatAKilledRunLeft() throws IOException {
        Path killed = Files.createDirectories(tmp.resolve(".run.tmp-4711"));
        Files.writeString(killed.resolve("model.safetensors"), "half written");
        Path other = Files.createDirectories(tmp.resolve(".other.tmp-1"));
        Path run = TinyModels.train(tmp, "run", 1);
        assertTrue(Files.isRegularFile(run.resolve(Checkpoint.CONFIG)));
        assertFalse(Files.exists(killed), "the killed run's temporary folder is gone");
        assertTrue(Files.exists(other), "another run's is not touched");
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.filter(f -> f.getFileName().toString().startsWith(".run.")).toList());
        }
    }

    /** The example plugin's jar, built by the reactor before the server's tests (see ExamplePluginTest). */
    static Path exampleJar() throws IOException {
        Path target = Path.of("..").toAbsolutePath().normalize().resolve("examples/plugin-sampler/target");
        if (Files.isDirectory(target)) {
            try (Stream<Path> files = Files.list(target)) {
                var jar = files.filter(p -> p.getFileName().toString().matches("rill-example-sampler-[^-]+(-SNAPSHOT)?\\.jar")).findFirst();
                if (jar.isPresent()) return jar.get();
            }
        }
        return fail("examples/plugin-sampler is not built: ./mvnw -pl examples/plugin-sampler -am package");
    }
}
