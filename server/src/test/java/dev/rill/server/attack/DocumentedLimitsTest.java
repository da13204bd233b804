package dev.rill.server.attack;

import dev.rill.cli.attack.Attack;
import dev.rill.cli.attack.DocumentedLimits;
import dev.rill.server.LiveServerTest;
import dev.rill.server.TinyModelResource;
import dev.rill.server.WsClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, item 7: the limits the README documents hold as documented: WebSocket messages over
 * 1 MiB close the connection with 1009; messages over rill.limits.max-message-size (8 KiB in the
 * tests) get message_too_large and the connection stays; bodies over 1 MB get 413 in the OpenAI
 * shape; max_completion_tokens caps /v1/completions; JSON endpoints require application/json.
 */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class DocumentedLimitsTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void theDocumentedLimitsHold() throws Exception {
        DocumentedLimits attack = new DocumentedLimits();
        Attack.Result result = attack.run(Attack.Target.of(base, null));
        System.out.println(attack.name() + ": " + result);
        assertTrue(result.held(), result.outcome());
    }

    @Test
    void aMessageOverTheSoftLimitIsAnErrorAndTheConnectionStays() throws InterruptedException {
        try (WsClient ws = WsClient.connect(base)) {
            ws.send("{\"type\":\"chat\",\"prompt\":\"" + "a".repeat(100_000) + "\"}");
            ws.expectError("message_too_large");
            ws.send(Map.of("type", "chat", "id", "after", "prompt", "First", "max_tokens", 2));
            assertTrue(ws.untilEnd("after").getLast().path("type").asText().equals("done"));
        }
    }

    @Test
    void refusalsSayWhatIsAccepted() {
        given().contentType("text/plain").body("{\"prompt\":\"a\"}").post("/v1/chat/completions").then().statusCode(415)
                .body("error.type", equalTo("invalid_request_error")).body("error.code", equalTo("unsupported_media_type"))
                .body("error.message", containsString("application/json"));
        given().contentType("application/json; charset=utf-8").body("{\"text\":\"First\"}").post("/api/tokenize").then().statusCode(200);
        given().contentType("text/plain").body("{\"text\":\"First\"}").post("/api/tokenize").then().statusCode(415);
        given().contentType("application/json").body("{\"prompt\":\"First\",\"max_tokens\":2,\"max_completion_tokens\":5}").post("/v1/completions")
                .then().statusCode(200).body("usage.completion_tokens", org.hamcrest.Matchers.lessThanOrEqualTo(2));
    }
}
