package dev.rill.server.rest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rill.model.TinyModel;
import dev.rill.server.LiveServerTest;
import dev.rill.server.ReferenceModel;
import dev.rill.server.TinyModelResource;
import dev.rill.server.WsClient;
import dev.rill.spi.KvCache;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /api/pipeline against the running application, checked against the engine and the WebSocket. */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class PipelineTest extends LiveServerTest {

    static final String PROMPT = "Before we proceed";

    @TestHTTPResource("/")
    URI base;

    @AutoClose
    static final ReferenceModel REFERENCE = ReferenceModel.load();

    static JsonPath pipeline(Map<String, Object> body) {
        return given().contentType("application/json").body(body).post("/api/pipeline").then().statusCode(200).extract().jsonPath();
    }

    static Map<String, Object> request(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    @Test
    void theLogitsStageIsTheModelsOutputAndEachSamplerNarrowsIt() {
        JsonPath r = pipeline(request("prompt", PROMPT, "seed", 5, "top", 8,
                "sampling", Map.of("chain", List.of("top-k", "temperature", "dist"), "top_k", 5, "temperature", 0.7)));
        assertEquals("tiny", r.getString("model"));
        assertEquals(5L, r.getLong("seed"));
        assertEquals(List.of("top-k", "temperature", "dist"), r.getList("chain"));
        assertEquals(List.of("logits", "top-k", "temperature", "dist"), r.getList("stages.sampler"));
        int nVocab = REFERENCE.vocabulary().size();
        assertEquals(List.of(nVocab, 5, 5, 5), r.getList("stages.candidates"));
        // The prompt, token by token.
        int[] ids = REFERENCE.vocabulary().encode(PROMPT);
        assertEquals(IntStream.of(ids).boxed().toList(), r.getList("prompt.tokens.token_id"));
        assertEquals(PROMPT, String.join("", r.<String>getList("prompt.tokens.text")));

        // The logits stage is what the model computes for the prompt (an independent forward pass), best first.
        float[] logits = forward(ids);
        List<Integer> best = IntStream.range(0, nVocab).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparing(i -> i)).limit(8).toList();
        assertEquals(best, r.getList("stages[0].top.token_id"));
        List<Float> shown = r.getList("stages[0].top.logit", Float.class);
        for (int j = 0; j < 8; j++) assertEquals(logits[best.get(j)], shown.get(j), 1e-4f);
        double z = 0;
        for (float l : logits) z += Math.exp(l - logits[best.getFirst()]);
        assertEquals(1 / z, r.getDouble("stages[0].top[0].probability"), 1e-5);

        // After top-k 5 only five remain, so the list holds all of them and their probabilities sum to 1.
        List<Float> kept = r.getList("stages[1].top.probability", Float.class);
        assertEquals(5, kept.size());
        assertEquals(1.0, kept.stream().mapToDouble(Float::doubleValue).sum(), 1e-5);
        assertEquals(best.subList(0, 5), r.getList("stages[1].top.token_id"));
        // Temperature 0.7 < 1 sharpens: the best token gains probability.
        assertTrue(r.getDouble("stages[2].top[0].probability") > r.getDouble("stages[1].top[0].probability"));
        // The draw is one of the five, with its probability in the last distribution.
        int drawn = r.getInt("draw.token_id");
        List<Integer> last = r.getList("stages[3].top.token_id");
        assertTrue(last.contains(drawn), "drawn " + drawn + " not among " + last);
        assertEquals(r.getDouble("stages[2].top[" + last.indexOf(drawn) + "].probability"), r.getDouble("draw.probability"), 1e-6);
        assertEquals(REFERENCE.vocabulary().decode(new int[]{drawn}), r.getString("draw.text"));
    }

    @Test
    void theSeededDrawIsTheFirstTokenOfTheSameChatAndAContinuationIsTheNextStep() throws Exception {
        Map<String, Object> sampling = Map.of("chain", List.of("temperature", "dist"), "temperature", 1.0);
        List<Integer> chatTokens = new ArrayList<>();
        try (WsClient ws = WsClient.connect(base)) {
            ws.send(Map.of("type", "chat", "id", "a", "prompt", PROMPT, "max_tokens", 6, "seed", 77, "sampling", sampling));
            for (JsonNode f : ws.untilEnd("a")) if (f.path("type").asText().equals("token")) chatTokens.add(f.get("token_id").asInt());
        }
        assertEquals(6, chatTokens.size());
        assertEquals(chatTokens.getFirst(), pipeline(request("prompt", PROMPT, "seed", 77, "sampling", sampling)).getInt("draw.token_id"));
        // Greedy: the step after the first three tokens of a greedy reply draws its fourth.
        Map<String, Object> greedy = Map.of("temperature", 0);
        List<Integer> greedyTokens = new ArrayList<>();
        try (WsClient ws = WsClient.connect(base)) {
            ws.send(Map.of("type", "chat", "id", "g", "prompt", PROMPT, "max_tokens", 4, "sampling", greedy));
            for (JsonNode f : ws.untilEnd("g")) if (f.path("type").asText().equals("token")) greedyTokens.add(f.get("token_id").asInt());
        }
        JsonPath step = pipeline(request("prompt", PROMPT, "continuation", greedyTokens.subList(0, 3), "sampling", greedy));
        assertEquals(greedyTokens.get(3), step.getInt("draw.token_id"));
        assertEquals(REFERENCE.vocabulary().encode(PROMPT).length + 3, step.getInt("prompt.count"));
    }

    @Test
    void aChatPromptIsBuiltInTheModelsChatFormat() {
        JsonPath r = pipeline(request("messages", List.of(Map.of("role", "user", "content", "Speak")), "seed", 1));
        String prompt = String.join("", r.<String>getList("prompt.tokens.text"));
        assertEquals("USER:\nSpeak\n\nASSISTANT:\n", prompt);
        assertEquals(0, r.getInt("prompt.dropped_messages"));
        // The configured chain (the default), each step reported.
        List<String> chain = r.getList("chain");
        assertEquals(chain.size() + 1, r.getList("stages").size());
    }

    @Test
    void badInputIsA400NamingTheField() {
        record Bad(Map<String, Object> body, String param, String says) {
        }
        List<Bad> bad = List.of(
                new Bad(request("prompt", "hi", "top", 0), "top", "top must be from 1 to 50"),
                new Bad(request("prompt", "hi", "top", 51), "top", "top must be from 1 to 50"),
                new Bad(request("prompt", "hi", "continuation", List.of(1, 100000)), "continuation[1]", "outside the vocabulary"),
                new Bad(request("prompt", "hi", "messages", List.of()), "messages", "not both"),
                new Bad(request("seed", 1), "messages", "not neither"),
                new Bad(request("prompt", "hi", "sampling", Map.of("chain", List.of("top-k", "nucleus"))), "sampling.chain", "unknown sampler 'nucleus'"),
                new Bad(request("prompt", "hi", "sampling", Map.of("chain", List.of("dist", "top-k"))), "sampling.chain", "must come last"),
                new Bad(request("prompt", "hi", "sampling", Map.of("top_q", 1)), "sampling.top_q", "unknown sampling parameter 'top_q'"),
                new Bad(request("prompt", "hi", "model", "nope"), "model", "unknown model 'nope'"),
                new Bad(request("prompt", "hi", "temperature", 1), "temperature", "unknown field 'temperature'"),
                new Bad(request("messages", List.of(Map.of("role", "robot", "content", "x"))), "messages[0]", "unknown role 'robot'"));
        for (Bad b : bad) {
            given().contentType("application/json").body(b.body()).post("/api/pipeline").then()
                    .statusCode(b.param().equals("model") ? 404 : 400)
                    .body("error.param", equalTo(b.param())).body("error.message", containsString(b.says()));
        }
        given().contentType("application/json").body("{").post("/api/pipeline").then().statusCode(400).body("error.code", equalTo("invalid_json"));
    }

    static float[] forward(int[] ids) {
        float[] logits = new float[REFERENCE.vocabulary().size()];
        try (KvCache cache = REFERENCE.pass().newCache(TinyModel.T)) {
            REFERENCE.pass().forward(cache, ids, 0, ids.length, logits);
        }
        return logits;
    }
}
