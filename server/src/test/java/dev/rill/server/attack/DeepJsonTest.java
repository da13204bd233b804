package dev.rill.server.attack;

import dev.rill.cli.attack.Attack;
import dev.rill.cli.attack.DeepJson;
import dev.rill.server.LiveServerTest;
import dev.rill.server.TinyModelResource;
import dev.rill.server.WsClient;
import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 15, item 5: JSON nested thousands of levels deep, and numbers of thousands of digits, get
 * the documented {@code invalid_json} / 400 answers in the documented shapes, naming no Java class.
 */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class DeepJsonTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void deepNestingAndLongNumbersAreRefusedPlainly() throws Exception {
        DeepJson attack = new DeepJson(100_000, 8192);
        Attack.Result result = attack.run(Attack.Target.of(base, null));
        System.out.println(attack.name() + ": " + result);
        assertTrue(result.held(), result.outcome());
    }

    @Test
    void badlyTypedFieldsAreNamedWithoutJavaTypes() throws Exception {
        List<String> bodies = List.of("{\"prompt\":\"a\",\"seed\":123456789012345678901234567890}", "{\"prompt\":\"a\",\"max_tokens\":99999999999}",
                "{\"prompt\":\"a\",\"max_tokens\":1e400}", "{\"prompt\":\"a\",\"sampling\":[1]}", "{\"prompt\":\"a\",\"stop\":{\"a\":1}}",
                "{\"messages\":\"hello\"}", "{\"messages\":[{\"role\":\"user\",\"content\":{\"a\":1}}]}", "{\"prompt\":\"a\",\"logit_bias\":[1]}",
                "{\"prompt\":\"a\",\"temperature\":\"hot\"}", "{\"prompt\":\"a\"} trailing", "{\"prompt\":\"\\ud800\"", "[]", "nul");
        for (String body : bodies) {
            String answer = given().contentType("application/json").body(body).post("/v1/completions").then().statusCode(400)
                    .body("error.type", equalTo("invalid_request_error")).extract().asString();
            assertFalse(DeepJson.JAVA.matcher(answer).find(), body + " → " + answer);
        }
        try (WsClient ws = WsClient.connect(base)) {
            for (String body : bodies) {
                ws.send(body.startsWith("{") ? "{\"type\":\"chat\"," + body.substring(1) : body);
                JsonNode error = ws.expect("error");
                assertFalse(DeepJson.JAVA.matcher(error.toString()).find(), body + " → " + error);
            }
        }
    }

    @Test
    void theDepthLimitIsSaidInWords() {
        String deep = "{\"prompt\":\"a\",\"extra\":" + "[".repeat(65) + "]".repeat(65) + "}";
        String message = given().contentType("application/json").body(deep).post("/v1/completions").then().statusCode(400)
                .body("error.code", equalTo("invalid_json")).body("error.type", equalTo("invalid_request_error"))
                .extract().path("error.message");
        assertTrue(message.contains("nested more than 64 levels deep"), message);
        assertFalse(DeepJson.JAVA.matcher(message).find(), message);
        // 64 levels are read: what is refused then is the unknown field, not the JSON.
        String ok = "{\"prompt\":\"a\",\"max_tokens\":1,\"extra\":" + "[".repeat(62) + "]".repeat(62) + "}";
        given().contentType("application/json").body(ok).post("/v1/completions").then().statusCode(400)
                .body("error.code", not(equalTo("invalid_json"))).body("error.message", containsString("unknown field 'extra'"));
    }
}
