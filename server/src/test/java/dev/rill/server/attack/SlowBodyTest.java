package dev.rill.server.attack;

import dev.rill.cli.attack.Attack;
import dev.rill.cli.attack.HealthProbe;
import dev.rill.cli.attack.SlowBodies;
import dev.rill.server.LiveServerTest;
import dev.rill.server.TinyModelResource;
import dev.rill.server.WsClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, item 2: 250 requests that declare a 1 MB body and send a byte a second. Bodies are read
 * on the event loops, within {@code rill.limits.body-timeout} (2 s in the tests); health, metrics,
 * WebSocket chat and an ordinary completion keep answering while they trickle.
 */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class SlowBodyTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void slowBodiesHoldNoWorker() throws Exception {
        SlowBodies attack = new SlowBodies(250, 1000, 10_000);
        chat("before");   // warm: the first generation of a JVM compiles the kernels
        CompletableFuture<Attack.Result> running = CompletableFuture.supplyAsync(() -> {
            try {
                return attack.run(Attack.Target.of(base, null));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(attack.awaitOpened(30_000), "the slow requests could not be opened");
        // Probed from here: while every slow request is in; before the fix none was answered in 5 s.
        Attack.Result result;
        try (HealthProbe live = HealthProbe.live(base); HealthProbe ready = new HealthProbe(base, "/q/health/ready", 100, 5000)) {
            chat("during");
            assertEquals(200, RestAssured.get("/q/metrics").statusCode());
            result = running.get(60, TimeUnit.SECONDS);
            live.close();
            ready.close();
            System.out.println(attack.name() + ": " + result + "; " + live + "; " + ready);
            for (HealthProbe probe : new HealthProbe[]{live, ready}) {
                assertEquals(0, probe.failures(), probe.toString());
                assertTrue(probe.max() < 1000, "health answered slowly during the attack: " + probe);
            }
        }
        assertTrue(result.held(), result.outcome());
    }

    private void chat(String id) throws InterruptedException {
        try (WsClient ws = WsClient.connect(base)) {
            ws.send(Map.of("type", "chat", "id", id, "prompt", "First", "max_tokens", 3));
            assertEquals("done", ws.untilEnd(id).getLast().path("type").asText());
        }
    }
}
