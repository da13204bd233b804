package dev.rill.server.ws;

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
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code "logprobs": n} on the WebSocket: each token frame carries the log-probability of the sampled
 * token and the n most likely, checked against log-softmax of the model's own logits computed here,
 * and against what the sampler chain leaves (top-k renormalizes; greedy is certain).
 */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class ChatLogprobsTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;

    @AutoClose
    static final ReferenceModel REFERENCE = ReferenceModel.load();

    static Map<String, Object> chat(String id, int logprobs, Map<String, Object> sampling) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "chat");
        m.put("id", id);
        m.put("prompt", "ROMEO:\n");
        m.put("max_tokens", 12);
        m.put("seed", 5);
        m.put("logprobs", logprobs);
        m.put("sampling", sampling);
        return m;
    }

    /** log-softmax of the model's logits after {@code tokens}, in double. */
    static double[] logSoftmax(int[] tokens) {
        int nVocab = REFERENCE.model().weights().arch().nVocab();
        float[] logits = new float[nVocab];
        try (KvCache cache = REFERENCE.pass().newCache(REFERENCE.model().maxContext())) {
            REFERENCE.pass().forward(cache, tokens, 0, tokens.length, logits);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) max = Math.max(max, l);
        double sum = 0;
        for (float l : logits) sum += Math.exp(l - max);
        double[] out = new double[nVocab];
        for (int i = 0; i < nVocab; i++) out[i] = logits[i] - max - Math.log(sum);
        return out;
    }

    @Test
    void tokenFramesCarryTheLogprobsOfTheModelsDistribution() throws Exception {
        try (WsClient ws = WsClient.connect(base)) {
            ws.send(chat("l", 5, Map.of("chain", List.of("dist"))));
            ws.expect("start");
            List<JsonNode> tokens = ws.untilEnd("l").stream().filter(f -> f.path("type").asText().equals("token")).toList();
            assertEquals(12, tokens.size());
            List<Integer> context = new ArrayList<>();
            for (int t : REFERENCE.vocabulary().encode("ROMEO:\n")) context.add(t);
            for (JsonNode t : tokens) {
                double[] want = logSoftmax(context.stream().mapToInt(Integer::intValue).toArray());
                int id = t.get("token_id").asInt();
                assertEquals(want[id], t.get("logprob").asDouble(), 1e-4, "token " + t.get("index"));
                JsonNode top = t.get("top_logprobs");
                assertEquals(5, top.size());
                Integer[] order = new Integer[want.length];
                for (int i = 0; i < order.length; i++) order[i] = i;
                Arrays.sort(order, (a, b) -> Double.compare(want[b], want[a]));
                for (int k = 0; k < 5; k++) {
                    assertEquals(order[k].intValue(), top.get(k).get("token_id").asInt(), "rank " + k);
                    assertEquals(want[order[k]], top.get(k).get("logprob").asDouble(), 1e-4);
                    assertEquals(REFERENCE.vocabulary().piece(order[k]), top.get(k).get("text").asText());
                }
                context.add(id);
            }
        }
    }

    @Test
    void theyAreThoseOfTheDistributionTheChainDrewFrom() throws Exception {
        try (WsClient ws = WsClient.connect(base)) {
            ws.send(chat("k", 20, Map.of("chain", List.of("top-k", "dist"), "top_k", 3)));
            ws.expect("start");
            for (JsonNode t : ws.untilEnd("k")) {
                if (!t.path("type").asText().equals("token")) continue;
                JsonNode top = t.get("top_logprobs");
                assertEquals(3, top.size(), "only the 3 tokens top-k kept have a probability");
                double sum = 0;
                for (JsonNode e : top) sum += Math.exp(e.get("logprob").asDouble());
                assertEquals(1.0, sum, 1e-5, "renormalized over what top-k kept");
            }
            ws.send(chat("g", 2, Map.of("chain", List.of("greedy"))));
            ws.expect("start");
            for (JsonNode t : ws.untilEnd("g")) {
                if (!t.path("type").asText().equals("token")) continue;
                assertEquals(0.0, t.get("logprob").asDouble(), 0.0, "greedy: certain");
                assertEquals(1, t.get("top_logprobs").size());
            }
            ws.send(chat("n", 0, Map.of("chain", List.of("dist"))));
            ws.expect("start");
            JsonNode first = ws.expect("token");
            assertTrue(first.get("logprob").asDouble() <= 0);
            assertEquals(0, first.get("top_logprobs").size());
            ws.untilEnd("n");
            Map<String, Object> plain = chat("p", 0, Map.of("chain", List.of("dist")));
            plain.remove("logprobs");
            ws.send(plain);
            ws.expect("start");
            JsonNode token = ws.expect("token");
            assertFalse(token.has("logprob"), "not asked, not sent: " + token);
            assertFalse(token.has("top_logprobs"));
            ws.untilEnd("p");
        }
    }

    @Test
    void outOfRangeIsRefusedNamingTheField() throws Exception {
        try (WsClient ws = WsClient.connect(base)) {
            ws.send(chat("x", 21, Map.of()));
            JsonNode e = ws.expectError("invalid_request");
            assertEquals("logprobs", e.get("param").asText());
            assertEquals("field 'logprobs' must be an integer from 0 to 20 (alternatives listed per token; got 21)", e.get("message").asText());
            Map<String, Object> m = chat("y", 1, Map.of());
            m.put("logprobs", true);
            ws.send(m);
            assertEquals("logprobs", ws.expectError("invalid_request").get("param").asText());
        }
    }
}
