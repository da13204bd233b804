package dev.rill.server.attack;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rill.cli.attack.Attack;
import dev.rill.cli.attack.FairUse;
import dev.rill.server.LiveServerTest;
import dev.rill.server.Server;
import dev.rill.server.TinyModelResource;
import dev.rill.server.WsClient;
import dev.rill.server.generation.ClientLimits;
import dev.rill.server.security.SecuredProfile;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, item 8: per-client limits. With API keys key-one and key-two (SecuredProfile: 1 generation
 * in progress and 1 held per client; 2 running and 2 queued in all), one client's long generations
 * do not keep the other out: beyond its share it is held, then refused with overloaded / 429.
 */
@QuarkusTest
@TestProfile(SecuredProfile.class)
@QuarkusTestResource(TinyModelResource.class)
class FairUseTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;
    @Inject
    ClientLimits limits;

    static Map<String, Object> chat(String id, int maxTokens) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "chat");
        m.put("id", id);
        m.put("prompt", "First");
        m.put("max_tokens", maxTokens);
        m.put("sampling", Map.of("chain", java.util.List.of("dist")));
        return m;
    }

    static WsClient as(URI base, String key) {
        return WsClient.connect(base, c -> c.addHeader("Authorization", "Bearer " + key));
    }

    @Test
    void oneClientIsHeldThenRefusedBeyondItsShareAndAnotherIsServed() throws Exception {
        try (WsClient a = as(base, "key-one"); WsClient b = as(base, "key-one"); WsClient c = as(base, "key-one"); WsClient other = as(base, "key-two")) {
            a.send(chat("a", 100_000));
            a.expect("start");
            b.send(chat("b", 5));
            Server.awaitMetric("rill_generations_held", "", 1);
            assertNull(b.poll(200), "held: not started while its client's first runs");
            c.send(chat("c", 5));
            JsonNode refused = c.expectError("overloaded");
            assertTrue(refused.get("message").asText().contains("rill.limits.per-client"), refused.toString());
            given().header("Authorization", "Bearer key-one").contentType("application/json").body("{\"prompt\":\"a\",\"max_tokens\":3}")
                    .post("/v1/completions").then().statusCode(429).body("error.code", equalTo("overloaded"))
                    .body("error.message", containsString("one client may have at most 1 in progress and 1 waiting"));
            // The other client is served while the first one's generation runs on.
            other.send(chat("o", 3));
            assertEquals("done", other.untilEnd("o").getLast().path("type").asText());
            // The held one starts when the first ends.
            a.send(Map.of("type", "cancel", "id", "a"));
            assertEquals("cancelled", a.untilEnd("a").getLast().path("finish_reason").asText());
            assertEquals("start", b.next().path("type").asText());
            assertEquals("done", b.untilEnd("b").getLast().path("type").asText());
            assertEquals(0, limits.held());
        }
    }

    @Test
    void aHeldGenerationCancelledEndsAtOnce() throws Exception {
        try (WsClient a = as(base, "key-two"); WsClient b = as(base, "key-two")) {
            a.send(chat("a", 100_000));
            a.expect("start");
            b.send(chat("b", 5));
            Server.awaitMetric("rill_generations_held", "", 1);
            b.send(Map.of("type", "cancel", "id", "b"));
            JsonNode done = b.expect("done");
            assertEquals("cancelled", done.get("finish_reason").asText());
            assertEquals(0, done.at("/usage/completion_tokens").asInt());
            assertEquals(0, limits.held());
            a.send(Map.of("type", "cancel", "id", "a"));
            a.untilEnd("a");
        }
    }

    @Test
    void theCampaignsFairUseAttackIsHeld() throws Exception {
        FairUse attack = new FairUse(6, 100_000, 10_000, "key-two");
        Attack.Result result = attack.run(new Attack.Target(base, "key-one", null));
        System.out.println(attack.name() + ": " + result);
        assertTrue(result.held(), result.outcome());
    }

    @Test
    void theChoicesOfARequestCountAsGenerationsOfItsClient() throws Exception {
        // A request of n = 2 alone may exceed the share of 1 (its choices share one prompt)...
        given().header("Authorization", "Bearer key-one").contentType("application/json").body("{\"prompt\":\"a\",\"max_tokens\":3,\"n\":2}")
                .post("/v1/completions").then().statusCode(200).body("choices.size()", equalTo(2));
        // ...but while the client has one running, it is held (counting 2), and a third request is refused.
        try (WsClient a = as(base, "key-one")) {
            a.send(chat("a", 100_000));
            a.expect("start");
            var held = java.util.concurrent.CompletableFuture.supplyAsync(() -> given().header("Authorization", "Bearer key-one")
                    .contentType("application/json").body("{\"prompt\":\"a\",\"max_tokens\":3,\"n\":2}").post("/v1/completions"));
            Server.awaitMetric("rill_generations_held", "", 1);
            given().header("Authorization", "Bearer key-one").contentType("application/json").body("{\"prompt\":\"a\",\"max_tokens\":3}")
                    .post("/v1/completions").then().statusCode(429).body("error.code", equalTo("overloaded"));
            a.send(Map.of("type", "cancel", "id", "a"));
            a.untilEnd("a");
            held.get(60, java.util.concurrent.TimeUnit.SECONDS).then().statusCode(200).body("choices.size()", equalTo(2));
            assertEquals(0, limits.held());
        }
    }
}
