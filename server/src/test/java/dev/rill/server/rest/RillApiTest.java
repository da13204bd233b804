package dev.rill.server.rest;

import dev.rill.model.TinyModel;
import dev.rill.server.LiveServerTest;
import dev.rill.server.Server;
import dev.rill.server.TinyModelResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.hasKey;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** /api/*, health, metrics and the OpenAPI document against the running application. */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class RillApiTest extends LiveServerTest {


    static Response post(String path, Object body) {
        return given().contentType("application/json").body(body).post(path);
    }

    @Test
    void pluginsListEveryFamilyWithParametersDefaultsAndRanges() {
        RestAssured.get("/api/plugins").then().statusCode(200)
                .body("$", hasKey("tokenizer")).body("$", hasKey("positional_encoding")).body("$", hasKey("sampler")).body("$", hasKey("compute_backend"))
                .body("tokenizer.name", hasItem("char")).body("positional_encoding.name", hasItem("learned"))
                .body("compute_backend.find { it.name == 'cpu' }.available", equalTo(true))
                .body("sampler.find { it.name == 'temperature' }.parameters[0].name", equalTo("temperature"))
                .body("sampler.find { it.name == 'temperature' }.parameters[0].type", equalTo("float"))
                .body("sampler.find { it.name == 'temperature' }.parameters[0].default", equalTo(0.8f))
                .body("sampler.find { it.name == 'temperature' }.parameters[0].range", containsString(", 10]"));
    }

    @Test
    void modelsDescribeWhatIsServed() {
        RestAssured.get("/api/models").then().statusCode(200)
                .body("[0].name", equalTo("tiny")).body("[0].default", equalTo(true)).body("[0].chat_format", equalTo("rill-plain"))
                .body("[0].info.context_size", equalTo(TinyModel.T)).body("[0].info.tokenizer", equalTo("char"))
                .body("[0].info.positional", equalTo("learned")).body("[0].info.n_layer", equalTo(2));
    }

    @Test
    void tokenizeAndDetokenizeRoundTrip() {
        String text = "Héllo 世界 😀!";
        Response r = post("/api/tokenize", Map.of("text", text, "with_pieces", true));
        r.then().statusCode(200).body("model", equalTo("tiny")).body("count", equalTo(text.codePointCount(0, text.length())));
        int[] tokens = r.jsonPath().getList("tokens", Integer.class).stream().mapToInt(Integer::intValue).toArray();
        assertArrayEquals(TinyModel.load().vocabulary().encode(text), tokens);
        assertEquals(List.of("H", "é", "l", "l", "o", " ", "世", "界", " ", "😀", "!"), r.jsonPath().getList("pieces"));
        post("/api/detokenize", Map.of("tokens", tokens)).then().statusCode(200).body("text", equalTo(text));
    }

    @Test
    void badTokenizeRequestsNameTheField() {
        post("/api/tokenize", Map.of()).then().statusCode(400).body("error.param", equalTo("text"));
        post("/api/tokenize", Map.of("text", 5)).then().statusCode(400).body("error.param", equalTo("text"));
        post("/api/tokenize", Map.of("text", "a", "model", "nope")).then().statusCode(404).body("error.code", equalTo("model_not_found"));
        post("/api/tokenize", Map.of("text", "a", "txt", "b")).then().statusCode(400).body("error.param", equalTo("txt"));
        post("/api/detokenize", Map.of("tokens", List.of(1, 100000))).then().statusCode(400).body("error.param", equalTo("tokens[1]"))
                .body("error.message", containsString("outside the vocabulary"));
        post("/api/detokenize", Map.of("tokens", List.of(1, "a"))).then().statusCode(400).body("error.param", equalTo("tokens[1]"));
        post("/api/detokenize", "{").then().statusCode(400).body("error.code", equalTo("invalid_json"));
    }

    @Test
    void healthIsUpOnceTheModelIsLoaded() {
        for (String probe : List.of("live", "ready", "started")) {
            RestAssured.get("/q/health/" + probe).then().statusCode(200).body("status", equalTo("UP"));
        }
        RestAssured.get("/q/health/ready").then().body("checks.find { it.name == 'rill-models' }.data.state", equalTo("ready"));
    }

    @Test
    void metricsExposeRequestsTokensLatencyHistogramsAndGauges() throws Exception {
        post("/v1/completions", Map.of("prompt", "a", "max_tokens", 5)).then().statusCode(200);
        String metrics = RestAssured.get("/q/metrics").then().statusCode(200).extract().asString();
        for (String name : List.of("rill_requests_total{api=\"completions\",outcome=\"length\"}", "rill_tokens_generated_total{model=\"tiny\"}",
                "rill_time_to_first_token_seconds_bucket{model=\"tiny\"", "rill_inter_token_latency_seconds_bucket{model=\"tiny\"",
                "rill_generations_active{model=\"tiny\"}", "rill_generations_queued{model=\"tiny\"}", "rill_batch_size_count{model=\"tiny\"}",
                "rill_forward_tokens_total{model=\"tiny\",phase=\"prefill\"}")) {
            assertTrue(metrics.contains(name), "metrics lack " + name);
        }
        double tokens = Server.metric("rill_tokens_generated_total", "model=\"tiny\"");
        post("/v1/completions", Map.of("prompt", "a", "max_tokens", 7)).then().statusCode(200);
        assertEquals(tokens + 7, Server.metric("rill_tokens_generated_total", "model=\"tiny\""));
    }

    @Test
    void theOpenApiDocumentDescribesTheHttpApi() {
        String doc = RestAssured.get("/q/openapi").then().statusCode(200).extract().asString();
        for (String path : List.of("/v1/chat/completions", "/v1/completions", "/v1/models", "/api/plugins", "/api/tokenize", "/api/detokenize")) {
            assertTrue(doc.contains(path), "OpenAPI lacks " + path);
        }
        assertTrue(doc.contains("ChatCompletionRequest"), "documents the request body");
    }
}
