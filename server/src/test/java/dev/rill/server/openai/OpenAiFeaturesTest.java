package dev.rill.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rill.generate.Embeddings;
import dev.rill.model.TinyModel;
import dev.rill.server.LiveServerTest;
import dev.rill.server.ReferenceModel;
import dev.rill.server.TinyModelResource;
import dev.rill.server.WsClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The OpenAI fields beyond plain generation, against the running application: logprobs, n choices,
 * streamed usage, embeddings, every field read or refused, JSON errors for unknown paths and methods.
 */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class OpenAiFeaturesTest extends LiveServerTest {

    static final List<Map<String, String>> HI = List.of(Map.of("role", "user", "content", "Hello"));
    @AutoClose
    static final ReferenceModel REFERENCE = ReferenceModel.load();

    static Response post(String path, Object body) {
        return given().contentType("application/json").body(body).post(path);
    }

    static JsonNode json(Response r) {
        try {
            return WsClient.JSON.readTree(r.asString());
        } catch (Exception e) {
            throw new AssertionError(r.asString(), e);
        }
    }

    @Test
    void chatLogprobsInOpenAisShapeStreamedOrNot() throws Exception {
        Map<String, Object> req = new HashMap<>(Map.of("messages", HI, "max_tokens", 10, "seed", 9, "logprobs", true, "top_logprobs", 4,
                "sampling", Map.of("chain", List.of("dist"))));
        JsonNode whole = json(post("/v1/chat/completions", req).then().statusCode(200).extract().response());
        JsonNode content = whole.at("/choices/0/logprobs/content");
        assertEquals(10, content.size());
        StringBuilder text = new StringBuilder();
        for (JsonNode e : content) {
            assertTrue(e.get("logprob").asDouble() <= 0);
            assertEquals(4, e.get("top_logprobs").size(), "dist over the whole vocabulary: 4 alternatives");
            double previous = 0;
            for (JsonNode t : e.get("top_logprobs")) {
                assertTrue(t.get("logprob").asDouble() <= previous, "most likely first");
                previous = t.get("logprob").asDouble();
                assertEquals(t.get("token").asText(), new String(toBytes(t.get("bytes")), java.nio.charset.StandardCharsets.UTF_8));
            }
            text.append(e.get("token").asText());
        }
        assertEquals(whole.at("/choices/0/message/content").asText(), text.toString(), "the tokens spell the reply");
        assertTrue(whole.at("/choices/0/logprobs/refusal").isNull());
        req.put("stream", true);
        List<String> events = OpenAiApiTest.events(post("/v1/chat/completions", req).asString());
        List<JsonNode> streamed = new ArrayList<>();
        for (String ev : events) {
            if (ev.equals("[DONE]")) continue;
            JsonNode chunk = WsClient.JSON.readTree(ev.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            chunk.at("/choices/0/logprobs/content").forEach(streamed::add);
        }
        assertEquals(content.toString(), WsClient.JSON.valueToTree(streamed).toString(), "the same seed streams the same entries");
        // Greedy is certain; without logprobs none are sent.
        JsonNode greedy = json(post("/v1/chat/completions", Map.of("messages", HI, "max_tokens", 3, "logprobs", true, "top_logprobs", 2, "temperature", 0)));
        assertEquals(0.0, greedy.at("/choices/0/logprobs/content/0/logprob").asDouble());
        JsonNode none = json(post("/v1/chat/completions", Map.of("messages", HI, "max_tokens", 3)));
        assertTrue(none.at("/choices/0/logprobs").isNull());
    }

    static byte[] toBytes(JsonNode ints) {
        byte[] b = new byte[ints.size()];
        for (int i = 0; i < b.length; i++) b[i] = (byte) ints.get(i).asInt();
        return b;
    }

    @Test
    void completionLogprobsInTheLegacyShape() {
        JsonNode r = json(post("/v1/completions", Map.of("prompt", "ALL:\n", "max_tokens", 6, "logprobs", 3, "seed", 2,
                "sampling", Map.of("chain", List.of("dist")))));
        JsonNode lp = r.at("/choices/0/logprobs");
        assertEquals(6, lp.get("tokens").size());
        assertEquals(6, lp.get("token_logprobs").size());
        assertEquals(6, lp.get("top_logprobs").size());
        assertEquals(3, lp.get("top_logprobs").get(0).size());
        String text = r.at("/choices/0/text").asText();
        for (int i = 0; i < 6; i++) {
            int offset = lp.get("text_offset").get(i).asInt();
            assertTrue(text.startsWith(lp.get("tokens").get(i).asText(), offset), "token " + i + " sits at its offset");
        }
        post("/v1/completions", Map.of("prompt", "x", "logprobs", 3, "echo", true)).then().statusCode(400).body("error.param", equalTo("logprobs"));
    }

    @Test
    void nChoicesShareThePromptAndCountItOnce() throws Exception {
        int before = sharedTokens();
        JsonNode r = json(post("/v1/chat/completions", Map.of("messages", HI, "max_tokens", 8, "n", 3, "seed", 4, "temperature", 1.0)));
        JsonNode choices = r.get("choices");
        assertEquals(3, choices.size());
        Set<String> texts = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            assertEquals(i, choices.get(i).get("index").asInt());
            texts.add(choices.get(i).at("/message/content").asText());
        }
        assertEquals(3, texts.size(), "seeds seed, seed+1, seed+2: three different replies");
        int prompt = r.at("/usage/prompt_tokens").asInt();
        assertEquals(24, r.at("/usage/completion_tokens").asInt(), "the tokens of all three");
        assertEquals(prompt + 24, r.at("/usage/total_tokens").asInt());
        // The same request with n = 1 and seed + 1 is the second choice.
        JsonNode second = json(post("/v1/chat/completions", Map.of("messages", HI, "max_tokens", 8, "seed", 5, "temperature", 1.0)));
        assertEquals(choices.get(1).at("/message/content").asText(), second.at("/choices/0/message/content").asText());
        assertTrue(sharedTokens() - before >= 2 * prompt, "two choices took the prompt over instead of running it");
        // Streamed: chunks of every choice, each with its index, each finishing.
        List<String> events = OpenAiApiTest.events(post("/v1/chat/completions", Map.of("messages", HI, "max_tokens", 5, "n", 2, "stream", true,
                "stream_options", Map.of("include_usage", true))).asString());
        int[] finished = new int[2];
        StringBuilder[] text = {new StringBuilder(), new StringBuilder()};
        JsonNode usage = null;
        for (String e : events) {
            if (e.equals("[DONE]")) continue;
            JsonNode c = WsClient.JSON.readTree(e.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            if (c.get("choices").isEmpty()) {
                usage = c.get("usage");
                continue;
            }
            int i = c.at("/choices/0/index").asInt();
            text[i].append(c.at("/choices/0/delta/content").asText(""));
            if (!c.at("/choices/0/finish_reason").isNull()) finished[i]++;
        }
        assertEquals(1, finished[0]);
        assertEquals(1, finished[1]);
        assertEquals(10, usage.get("completion_tokens").asInt());
    }

    static int sharedTokens() {
        String metrics = RestAssured.get("/q/metrics").asString();
        for (String line : metrics.split("\n")) {
            if (line.startsWith("rill_forward_tokens_total") && line.contains("phase=\"prefill\"")) return (int) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return Integer.MIN_VALUE / 4;
    }

    @Test
    void streamedUsageOnlyWhenAskedAndThenInItsOwnChunk() {
        List<String> plain = OpenAiApiTest.events(post("/v1/chat/completions", Map.of("messages", HI, "max_tokens", 3, "stream", true)).asString());
        for (String e : plain) assertFalse(e.contains("\"usage\""), "no usage unless asked: " + e);
        List<String> asked = OpenAiApiTest.events(post("/v1/completions", Map.of("prompt", "A", "max_tokens", 3, "stream", true,
                "stream_options", Map.of("include_usage", true))).asString());
        JsonNode last = json(asked.get(asked.size() - 2));
        assertEquals(0, last.get("choices").size());
        assertEquals(3, last.at("/usage/completion_tokens").asInt());
    }

    static JsonNode json(String s) {
        try {
            return WsClient.JSON.readTree(s);
        } catch (Exception e) {
            throw new AssertionError(s, e);
        }
    }

    @Test
    void embeddingsAreTheModelsUnitMeanHiddenStateAsFloatsOrBase64() {
        JsonNode r = json(post("/v1/embeddings", Map.of("input", List.of("Good morrow", "ROMEO"))).then().statusCode(200).extract().response());
        assertEquals("list", r.get("object").asText());
        assertEquals("tiny", r.get("model").asText());
        float[] want = Embeddings.embed(REFERENCE.model(), REFERENCE.pass(), REFERENCE.vocabulary().encode("Good morrow"));
        JsonNode got = r.at("/data/0/embedding");
        assertEquals(want.length, got.size());
        double norm = 0;
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got.get(i).floatValue(), 1e-5);
            norm += got.get(i).doubleValue() * got.get(i).doubleValue();
        }
        assertEquals(1.0, norm, 1e-4);
        assertNotEquals(r.at("/data/0/embedding").toString(), r.at("/data/1/embedding").toString());
        assertEquals(REFERENCE.vocabulary().encode("Good morrow").length + REFERENCE.vocabulary().encode("ROMEO").length, r.at("/usage/prompt_tokens").asInt());
        String b64 = json(post("/v1/embeddings", Map.of("input", "Good morrow", "encoding_format", "base64"))).at("/data/0/embedding").asText();
        ByteBuffer buf = ByteBuffer.wrap(Base64.getDecoder().decode(b64)).order(ByteOrder.LITTLE_ENDIAN);
        for (float w : want) assertEquals(w, buf.getFloat(), 1e-6);
        int[] ids = REFERENCE.vocabulary().encode("Good morrow");
        List<Integer> idList = new ArrayList<>();
        for (int id : ids) idList.add(id);
        assertEquals(got.toString(), json(post("/v1/embeddings", Map.of("input", idList))).at("/data/0/embedding").toString(), "token ids or text, same vector");
        post("/v1/embeddings", Map.of("input", "x", "dimensions", 8)).then().statusCode(400).body("error.param", equalTo("dimensions"));
        post("/v1/embeddings", Map.of("input", "x", "encoding_format", "hex")).then().statusCode(400).body("error.param", equalTo("encoding_format"));
        post("/v1/embeddings", Map.of("input", List.of("ok", 5))).then().statusCode(400).body("error.param", equalTo("input[1]"));
        post("/v1/embeddings", Map.of("input", List.of(List.of(1, 99999)))).then().statusCode(400).body("error.param", equalTo("input[0][1]"));
        post("/v1/embeddings", Map.of("input", "x".repeat(200))).then().statusCode(400).body("error.param", equalTo("input"))
                .body("error.message", containsString("reads at most 128"));
    }

    @Test
    void everyFieldIsReadOrRefusedByName() {
        record Case(Map<String, Object> body, String param, String message) {
        }
        List<Case> cases = List.of(
                new Case(Map.of("messages", HI, "audio", Map.of("voice", "alloy")), "audio", "audio output is not supported"),
                new Case(Map.of("messages", HI, "modalities", List.of("text", "audio")), "modalities", "modalities other than"),
                new Case(Map.of("messages", HI, "functions", List.of()), "functions", "deprecated form of tools"),
                new Case(Map.of("messages", HI, "store", true), "store", "Rill keeps no completions"),
                new Case(Map.of("messages", HI, "frobnicate", 1), "frobnicate", "unknown field 'frobnicate'; accepted: "),
                new Case(Map.of("messages", HI, "top_logprobs", 2), "top_logprobs", "top_logprobs needs logprobs: true"),
                new Case(Map.of("messages", HI, "logprobs", true, "top_logprobs", 21), "top_logprobs", "from 0 to 20"),
                new Case(Map.of("messages", HI, "response_format", Map.of("type", "xml")), "response_format.type", "\"text\", \"json_object\" or \"json_schema\""),
                new Case(Map.of("messages", HI, "response_format", Map.of("type", "json_schema", "json_schema",
                        Map.of("name", "x", "schema", Map.of("type", "string", "format", "date")))), "response_format.json_schema.schema.format",
                        "keyword 'format' is not supported"),
                new Case(Map.of("messages", HI, "grammar", "root ::= x"), "grammar", "rule 'x' is used but never defined"),
                new Case(Map.of("messages", HI, "grammar", "root ::= \"a\"", "response_format", Map.of("type", "json_object")), "response_format", "give one of them"),
                new Case(Map.of("messages", HI, "tool_choice", "required"), "tool_choice", "needs tools"),
                new Case(Map.of("messages", HI, "tools", List.of(Map.of("type", "function", "function", Map.of("name", "f"))),
                        "tool_choice", Map.of("type", "function", "function", Map.of("name", "g"))), "tool_choice", "not among the tools"),
                new Case(Map.of("messages", List.of(Map.of("role", "assistant", "content", "", "tool_calls",
                        List.of(Map.of("id", "c", "type", "function", "function", Map.of("name", "f", "arguments", "not json")))))),
                        "messages[0].tool_calls[0].function.arguments", "must be a JSON object"));
        for (Case c : cases) {
            Response r = post("/v1/chat/completions", c.body());
            assertEquals(400, r.statusCode(), c.body() + " → " + r.asString());
            assertEquals(c.param(), r.jsonPath().getString("error.param"), c.body() + " → " + r.asString());
            assertTrue(r.jsonPath().getString("error.message").contains(c.message()), c.body() + " → " + r.asString());
        }
        // No-op values of OpenAI fields are accepted.
        post("/v1/chat/completions", Map.of("messages", HI, "max_tokens", 2, "store", false, "modalities", List.of("text"), "user", "u1",
                "service_tier", "auto", "parallel_tool_calls", true)).then().statusCode(200);
        post("/v1/completions", Map.of("prompt", "a", "best_of", 3)).then().statusCode(400).body("error.param", equalTo("best_of"));
        post("/v1/completions", Map.of("prompt", "a", "frobnicate", 3)).then().statusCode(400).body("error.param", equalTo("frobnicate"));
    }

    @Test
    void aGrammarTheBundledStyleVocabularyCanWriteWorksAndOneItCannotIsRefused() {
        JsonNode r = json(post("/v1/chat/completions", Map.of("messages", HI, "max_tokens", 40, "seed", 1,
                "grammar", "root ::= (\"yes\" | \"no\") \", \" [a-z]{2,8} \".\"")));
        String text = r.at("/choices/0/message/content").asText();
        assertTrue(text.matches("(yes|no), [a-z]{2,8}\\."), text);
        assertEquals("stop", r.at("/choices/0/finish_reason").asText(), "the grammar's end ends the reply");
        // The tiny model's characters have no braces: a JSON object cannot be written, and the request says so.
        Response bad = post("/v1/chat/completions", Map.of("messages", HI, "max_tokens", 40, "response_format", Map.of("type", "json_object")));
        assertEquals(400, bad.statusCode(), bad.asString());
        assertTrue(bad.jsonPath().getString("error.message").contains("no token of the model's vocabulary can continue the grammar here (it expects '{')"), bad.asString());
        JsonNode bool = json(post("/v1/chat/completions", Map.of("messages", HI, "max_tokens", 10, "response_format",
                Map.of("type", "json_schema", "json_schema", Map.of("name", "b", "schema", Map.of("type", "boolean"), "strict", true)))));
        assertTrue(bool.at("/choices/0/message/content").asText().matches("true|false"), bool.toString());
    }

    @Test
    void unknownPathsAndMethodsAnswerInTheOpenAiErrorShape() {
        RestAssured.get("/v1/nothing/here").then().statusCode(404).contentType("application/json")
                .body("error.type", equalTo("not_found_error")).body("error.code", equalTo("unknown_path"))
                .body("error.message", containsString("GET /v1/nothing/here"));
        RestAssured.post("/api/nothing").then().statusCode(404).contentType("application/json").body("error.code", equalTo("unknown_path"));
        RestAssured.get("/v1/chat/completions").then().statusCode(405).contentType("application/json")
                .body("error.code", equalTo("method_not_allowed")).header("Allow", containsString("POST"));
        RestAssured.delete("/v1/models").then().statusCode(405).body("error.type", equalTo("invalid_request_error"));
        // Outside the API, the web page's paths are untouched.
        RestAssured.get("/").then().statusCode(200).contentType(containsString("text/html"));
    }
}
