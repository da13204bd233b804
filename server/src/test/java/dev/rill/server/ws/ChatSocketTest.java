package dev.rill.server.ws;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rill.generate.GeneratedToken;
import dev.rill.generate.GenerationRequest;
import dev.rill.generate.GenerationResult;
import dev.rill.generate.Generator;
import dev.rill.model.TinyModel;
import dev.rill.sampling.SamplerChain;
import dev.rill.server.LiveServerTest;
import dev.rill.server.ReferenceModel;
import dev.rill.server.Server;
import dev.rill.server.TinyModelResource;
import dev.rill.server.WsClient;
import dev.rill.server.chat.ChatMessage;
import dev.rill.server.chat.PlainChatFormat;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The /ws/chat protocol against the running application, with a real WebSocket client. */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class ChatSocketTest extends LiveServerTest {

    static final List<String> CHAIN = List.of("temperature", "dist");

    @TestHTTPResource("/")
    URI base;

    @AutoClose
    static final ReferenceModel REFERENCE = ReferenceModel.load();

    static Map<String, Object> chat(String id, String prompt, int maxTokens, long seed) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "chat");
        m.put("id", id);
        m.put("prompt", prompt);
        m.put("max_tokens", maxTokens);
        m.put("seed", seed);
        m.put("sampling", Map.of("chain", CHAIN, "temperature", 1.0));
        return m;
    }

    /** What the engine alone generates for the same request (one at a time, no server). */
    static GenerationResult expected(String prompt, int maxTokens, long seed, List<String> stop, List<GeneratedToken> tokens) {
        SamplerChain chain = SamplerChain.of(TinyModel.REGISTRY, CHAIN, Map.of("temperature", 1.0));
        GenerationRequest request = new GenerationRequest(REFERENCE.vocabulary().encode(prompt), maxTokens, chain, seed, stop);
        return new Generator(REFERENCE.model(), REFERENCE.pass()).generateNow(request, tokens::add);
    }

    static List<JsonNode> tokens(List<JsonNode> frames) {
        return frames.stream().filter(f -> f.path("type").asText().equals("token")).toList();
    }

    static String text(List<JsonNode> frames) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode t : tokens(frames)) sb.append(t.get("text").asText());
        return sb.toString();
    }

    @Test
    void streamsOneFramePerSampledTokenInOrderExactlyAsTheEngineGenerates() throws Exception {
        try (WsClient ws = WsClient.connect(base)) {
            ws.send(chat("a", "First Citizen:\n", 40, 7));
            JsonNode start = ws.expect("start");
            assertEquals("a", start.get("id").asText());
            assertEquals("tiny", start.get("model").asText());
            assertEquals(REFERENCE.vocabulary().encode("First Citizen:\n").length, start.get("prompt_tokens").asInt());
            List<JsonNode> frames = ws.untilEnd("a");
            JsonNode done = frames.getLast();
            List<JsonNode> tokens = tokens(frames);
            assertEquals(frames.size() - 1, tokens.size(), "only token frames between start and done");
            assertEquals(40, tokens.size());
            for (int i = 0; i < tokens.size(); i++) {
                assertEquals("a", tokens.get(i).get("id").asText());
                assertEquals(i, tokens.get(i).get("index").asInt(), "token frames come in order, one per index");
            }
            assertEquals("done", done.get("type").asText());
            assertEquals("length", done.get("finish_reason").asText());
            assertEquals(40, done.at("/usage/completion_tokens").asInt());
            assertEquals(start.get("prompt_tokens").asInt(), done.at("/usage/prompt_tokens").asInt());
            assertTrue(done.at("/timings/ttft_ms").asDouble() > 0);
            assertTrue(done.at("/timings/tokens_per_s").asDouble() > 0);

            List<GeneratedToken> want = new ArrayList<>();
            GenerationResult result = expected("First Citizen:\n", 40, 7, List.of(), want);
            assertEquals(result.text(), text(frames));
            for (int i = 0; i < want.size(); i++) {
                assertEquals(want.get(i).tokenId(), tokens.get(i).get("token_id").asInt(), "token " + i);
                assertEquals(want.get(i).text(), tokens.get(i).get("text").asText(), "text of token " + i);
            }
        }
    }

    @Test
    void aStopStringEndsTheReplyAndIsNeverSent() throws Exception {
        String prompt = "ALL:\n";
        String full = expected(prompt, 60, 11, List.of(), new ArrayList<>()).text();
        String stop = full.substring(20, 22);   // spans two tokens: the first is held back until it cannot be a stop
        GenerationResult want = expected(prompt, 60, 11, List.of(stop), new ArrayList<>());
        try (WsClient ws = WsClient.connect(base)) {
            Map<String, Object> m = chat("s", prompt, 60, 11);
            m.put("stop", List.of(stop));
            ws.send(m);
            ws.expect("start");
            List<JsonNode> frames = ws.untilEnd("s");
            JsonNode done = frames.getLast();
            assertEquals("stop", done.get("finish_reason").asText());
            assertEquals(full.substring(0, full.indexOf(stop)), text(frames));
            assertEquals(want.text(), text(frames));
            assertFalse(text(frames).contains(stop));
            // The token that completed the stop string carries no text, so it has no frame.
            assertEquals(done.at("/usage/completion_tokens").asInt() - 1, tokens(frames).size());
        }
    }

    @Test
    void everyFrameCarriesWholeCharactersOfOneToTwoUtf16Units() throws Exception {
        try (WsClient ws = WsClient.connect(base)) {
            ws.send(chat("u", "世界 😀", 300, 3));
            ws.expect("start");
            List<JsonNode> tokens = tokens(ws.untilEnd("u"));
            int threeByte = 0, fourByte = 0;
            for (JsonNode t : tokens) {
                String text = t.get("text").asText();
                assertEquals(REFERENCE.vocabulary().piece(t.get("token_id").asInt()), text);
                assertEquals(1, text.codePointCount(0, text.length()), "one whole code point per char token");
                int bytes = text.getBytes(StandardCharsets.UTF_8).length;
                if (bytes == 3) threeByte++;
                if (bytes == 4) fourByte++;
                assertFalse(text.contains("\uFFFD"), "no replacement character");
            }
            assertTrue(threeByte > 0 && fourByte > 0, "the sample streamed CJK (" + threeByte + ") and emoji (" + fourByte + ") characters");
        }
    }

    @Test
    void chatMessagesAreRenderedWithThePlainTemplateAndOldTurnsDroppedToFit() throws Exception {
        try (WsClient ws = WsClient.connect(base)) {
            List<Map<String, String>> messages = List.of(Map.of("role", "system", "content", "Be brief."),
                    Map.of("role", "user", "content", "Good morrow!"));
            ws.send(Map.of("type", "chat", "id", "c1", "messages", messages, "max_tokens", 16, "seed", 1));
            JsonNode start = ws.expect("start");
            String rendered = PlainChatFormat.INSTANCE.render(List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Good morrow!")));
            assertEquals(REFERENCE.vocabulary().encode(rendered).length, start.get("prompt_tokens").asInt());
            assertEquals(0, start.get("dropped_messages").asInt());
            JsonNode done = ws.untilEnd("c1").getLast();
            assertTrue(List.of("stop", "length").contains(done.get("finish_reason").asText()));

            // A history longer than the context (T = 128, minus room for 32 reply tokens): oldest turns go first.
            List<Map<String, String>> history = new ArrayList<>();
            history.add(Map.of("role", "system", "content", "Be brief."));
            for (int i = 0; i < 8; i++) {
                history.add(Map.of("role", i % 2 == 0 ? "user" : "assistant", "content", ("turn " + i + " ").repeat(4)));
            }
            history.add(Map.of("role", "user", "content", "And now?"));
            ws.send(Map.of("type", "chat", "id", "c2", "messages", history, "max_tokens", 32, "seed", 2));
            JsonNode start2 = ws.expect("start");
            assertTrue(start2.get("dropped_messages").asInt() > 0, start2.toString());
            assertTrue(start2.get("prompt_tokens").asInt() <= TinyModel.T - 32, start2.toString());
            ws.untilEnd("c2");
        }
    }

    @Test
    void continueFinalMessageGoesOnWithTheAssistantsReplyInsteadOfStartingANewOne() throws Exception {
        String partial = "Sir, wh";
        List<Map<String, String>> cut = List.of(Map.of("role", "user", "content", "Good morrow!"), Map.of("role", "assistant", "content", partial));
        // The prompt is the conversation up to the reply's turn, then the reply as it is: no end of turn.
        String open = PlainChatFormat.INSTANCE.render(List.of(new ChatMessage("user", "Good morrow!"))) + partial;
        GenerationResult want = expected(open, 12, 5, PlainChatFormat.INSTANCE.stopStrings(), new ArrayList<>());
        assertFalse(want.text().isEmpty());
        try (WsClient ws = WsClient.connect(base)) {
            Map<String, Object> m = new LinkedHashMap<>(Map.of("type", "chat", "id", "k", "messages", cut, "max_tokens", 12, "seed", 5,
                    "sampling", Map.of("chain", CHAIN, "temperature", 1.0)));
            m.put("continue_final_message", true);
            ws.send(m);
            assertEquals(REFERENCE.vocabulary().encode(open).length, ws.expect("start").get("prompt_tokens").asInt());
            assertEquals(want.text(), text(ws.untilEnd("k")));
        }
        // The same field on the OpenAI endpoint, as vLLM takes it.
        Map<String, Object> body = new LinkedHashMap<>(Map.of("messages", cut, "max_tokens", 12, "seed", 5,
                "sampling", Map.of("chain", CHAIN, "temperature", 1.0), "continue_final_message", true));
        var r = RestAssured.given().contentType("application/json").body(body).post("/v1/chat/completions");
        assertEquals(200, r.statusCode(), r.asString());
        assertEquals(want.text(), r.jsonPath().getString("choices[0].message.content"));
        assertEquals(REFERENCE.vocabulary().encode(open).length, r.jsonPath().getInt("usage.prompt_tokens"));
        body.put("messages", List.of(Map.of("role", "user", "content", "Good morrow!")));
        RestAssured.given().contentType("application/json").body(body).post("/v1/chat/completions").then().statusCode(400)
                .body("error.param", org.hamcrest.Matchers.equalTo("continue_final_message"));
    }

    @Test
    void requestsRunInTurnAndASecondChatWhileOneRunsIsRefused() throws Exception {
        try (WsClient ws = WsClient.connect(base)) {
            ws.send(chat("one", "a", 100_000, 1));
            ws.expect("start");
            ws.expect("token");
            ws.send(chat("two", "b", 5, 2));
            // Frames of "one" keep coming; somewhere among them is the refusal of "two".
            JsonNode refusal = null;
            while (refusal == null) {
                JsonNode n = ws.next();
                if (n.path("type").asText().equals("error")) refusal = n;
                else assertEquals("one", n.path("id").asText());
            }
            assertEquals("busy", refusal.get("code").asText());
            assertEquals("two", refusal.get("id").asText());
            assertTrue(refusal.get("message").asText().contains("'one' is still running"), refusal.toString());
            ws.send(Map.of("type", "cancel", "id", "one"));
            JsonNode done = ws.untilEnd("one").getLast();
            assertEquals("cancelled", done.get("finish_reason").asText());
            // The same connection takes the next request.
            ws.send(chat("three", "c", 5, 3));
            ws.expect("start");
            assertEquals("length", ws.untilEnd("three").getLast().get("finish_reason").asText());
            ws.send(chat("four", "d", 3, 4));
            ws.expect("start");
            assertEquals(3, tokens(ws.untilEnd("four")).size());
        }
    }

    @Test
    void cancelEndsTheGenerationFreesItsSlotAndComputesNothingMore() throws Exception {
        try (WsClient ws = WsClient.connect(base)) {
            ws.send(chat("long", "a", 100_000, 5));
            ws.expect("start");
            for (int i = 0; i < 3; i++) ws.expect("token");
            assertEquals(1, Server.metric("rill_generations_active", "model=\"tiny\""));
            ws.send(Map.of("type", "cancel", "id", "long"));
            JsonNode done = ws.untilEnd("long").getLast();
            assertEquals("done", done.get("type").asText());
            assertEquals("cancelled", done.get("finish_reason").asText());
            assertTrue(done.at("/usage/completion_tokens").asInt() < 100_000);
            Server.awaitMetric("rill_generations_active", "model=\"tiny\"", 0);
            double computed = Server.metric("rill_forward_tokens_total", "model=\"tiny\"");
            Thread.sleep(300);
            assertEquals(computed, Server.metric("rill_forward_tokens_total", "model=\"tiny\""), "no token computed after the cancel");
            assertNull(ws.poll(100), "nothing is sent after done");
            ws.send(Map.of("type", "cancel", "id", "long"));
            ws.expectError("not_running");
        }
    }

    @Test
    void closingTheConnectionCancelsItsGeneration() throws Exception {
        double before = Server.metric("rill_requests_total", "outcome=\"cancelled\"");
        WsClient ws = WsClient.connect(base);
        ws.send(chat("gone", "a", 100_000, 6));
        ws.expect("start");
        for (int i = 0; i < 3; i++) ws.expect("token");
        ws.close();
        Server.awaitMetric("rill_generations_active", "model=\"tiny\"", 0);
        double computed = Server.metric("rill_forward_tokens_total", "model=\"tiny\"");
        Thread.sleep(300);
        assertEquals(computed, Server.metric("rill_forward_tokens_total", "model=\"tiny\""), "no token computed after the disconnect");
        assertEquals(before + 1, Server.metric("rill_requests_total", "outcome=\"cancelled\""));
    }

    record Bad(String message, String code, String param) {
    }

    @Test
    void badInputGetsAnErrorFrameNamingTheFieldAndTheConnectionStaysOpen() throws Exception {
        String ok = "{\"type\":\"chat\",\"id\":\"x\",\"prompt\":\"hi\"";
        List<Bad> cases = List.of(
                new Bad("{not json", "invalid_json", null),
                new Bad("[1,2]", "invalid_json", null),
                new Bad("{\"id\":\"x\"}", "invalid_request", "type"),
                new Bad("{\"type\":5}", "invalid_request", "type"),
                new Bad("{\"type\":\"hello\",\"id\":\"x\"}", "unknown_type", "type"),
                new Bad("{\"type\":\"chat\",\"id\":\"x\"}", "invalid_request", "messages"),
                new Bad("{\"type\":\"chat\",\"id\":\"x\",\"messages\":\"hi\"}", "invalid_request", "messages"),
                new Bad("{\"type\":\"chat\",\"id\":\"x\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}", "invalid_request", "messages[0].role"),
                new Bad("{\"type\":\"chat\",\"id\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":5}]}", "invalid_request", "messages[0].content"),
                new Bad("{\"type\":\"chat\",\"id\":\"x\",\"messages\":[]}", "invalid_request", "messages"),
                new Bad(ok + ",\"max_tokens\":\"5\"}", "invalid_request", "max_tokens"),
                new Bad(ok + ",\"max_tokens\":0}", "invalid_request", "max_tokens"),
                new Bad(ok + ",\"max_tokens\":1.5}", "invalid_request", "max_tokens"),
                new Bad(ok + ",\"max_tokens\":100001}", "invalid_request", "max_tokens"),
                new Bad(ok + ",\"max_token\":5}", "invalid_request", "max_token"),
                new Bad(ok + ",\"model\":\"nope\"}", "model_not_found", "model"),
                new Bad(ok + ",\"sampling\":{\"chain\":[\"nope\"]}}", "invalid_request", "sampling.chain"),
                new Bad(ok + ",\"sampling\":{\"chain\":7}}", "invalid_request", "sampling.chain"),
                new Bad(ok + ",\"sampling\":{\"temperature\":100}}", "invalid_request", "sampling.temperature"),
                new Bad(ok + ",\"sampling\":{\"temperature\":\"hot\"}}", "invalid_request", "sampling.temperature"),
                new Bad(ok + ",\"sampling\":{\"chain\":[\"temperature\",\"dist\"],\"top_k\":5}}", "invalid_request", "sampling.top_k"),
                new Bad(ok + ",\"sampling\":{\"bogus_param\":1}}", "invalid_request", "sampling.bogus_param"),
                new Bad(ok + ",\"stop\":5}", "invalid_request", "stop"),
                new Bad(ok + ",\"stop\":[\"\"]}", "invalid_request", "stop"),
                new Bad(ok + ",\"seed\":\"abc\"}", "invalid_request", "seed"),
                new Bad("{\"type\":\"chat\",\"id\":\"x\",\"prompt\":\"\"}", "invalid_request", "prompt"),
                new Bad("{\"type\":\"chat\",\"id\":\"x\",\"prompt\":\"hi\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "invalid_request", "messages"),
                new Bad("{\"type\":\"chat\",\"id\":7,\"prompt\":\"hi\"}", "invalid_request", "id"),
                new Bad(ok + ",\"continue_final_message\":true}", "invalid_request", "continue_final_message"),
                new Bad("{\"type\":\"chat\",\"id\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"continue_final_message\":true}",
                        "invalid_request", "continue_final_message"),
                new Bad("{\"type\":\"chat\",\"id\":\"x\",\"messages\":[{\"role\":\"assistant\",\"content\":\"hi\"}],\"continue_final_message\":\"yes\"}",
                        "invalid_request", "continue_final_message"),
                new Bad("{\"type\":\"cancel\"}", "invalid_request", "id"),
                new Bad("{\"type\":\"cancel\",\"id\":\"nothing\"}", "not_running", "id"),
                new Bad("{\"type\":\"chat\",\"id\":\"x\",\"prompt\":\"" + "a".repeat(9000) + "\"}", "message_too_large", null));
        try (WsClient ws = WsClient.connect(base)) {
            for (Bad bad : cases) {
                ws.send(bad.message());
                JsonNode error = ws.expect("error");
                String label = bad.message().substring(0, Math.min(80, bad.message().length()));
                assertEquals(bad.code(), error.path("code").asText(), () -> label + " → " + error);
                if (bad.param() != null) assertEquals(bad.param(), error.path("param").asText(), () -> label + " → " + error);
                assertFalse(error.path("message").asText().isBlank());
                if (bad.message().contains("\"id\":\"x\"") && !bad.code().equals("message_too_large")) assertEquals("x", error.path("id").asText(), () -> label + " → " + error);
            }
            ws.sendBinary(new byte[]{1, 2, 3});
            ws.expectError("binary_not_supported");
            // Still open and serving.
            ws.send(chat("after", "a", 4, 1));
            ws.expect("start");
            assertEquals("length", ws.untilEnd("after").getLast().get("finish_reason").asText());
        }
    }

    @Test
    void errorFramesExplainWhatIsAccepted() throws Exception {
        try (WsClient ws = WsClient.connect(base)) {
            ws.send("{\"type\":\"chat\",\"id\":\"x\",\"prompt\":\"hi\",\"max_token\":5}");
            String unknownField = ws.expectError("invalid_request").get("message").asText();
            assertTrue(unknownField.contains("max_tokens"), "lists the accepted fields: " + unknownField);
            ws.send("{\"type\":\"chat\",\"id\":\"x\",\"prompt\":\"hi\",\"sampling\":{\"chain\":[\"nope\"]}}");
            String unknownSampler = ws.expectError("invalid_request").get("message").asText();
            assertTrue(unknownSampler.contains("nope") && unknownSampler.contains("temperature"), "names the sampler and those available: " + unknownSampler);
            ws.send("{\"type\":\"chat\",\"id\":\"x\",\"prompt\":\"hi\",\"max_tokens\":0}");
            String range = ws.expectError("invalid_request").get("message").asText();
            assertTrue(range.contains("between 1 and 100000"), range);
        }
    }

    @Test
    void garbageOnOneConnectionDoesNotDisturbAnother() throws Exception {
        try (WsClient good = WsClient.connect(base); WsClient bad = WsClient.connect(base)) {
            good.send(chat("g", "a", 200, 9));
            good.expect("start");
            for (int i = 0; i < 20; i++) {
                bad.send("{oops " + i);
                bad.expectError("invalid_json");
            }
            bad.sendBinary(new byte[1024]);
            bad.expectError("binary_not_supported");
            List<JsonNode> frames = good.untilEnd("g");
            assertEquals("length", frames.getLast().get("finish_reason").asText());
            assertEquals(200, tokens(frames).size());
        }
    }

    @Test
    void beyondTheQueueRequestsAreRefusedAsOverloaded() throws Exception {
        // max-concurrent 2 and queue-size 2 in the tests: four long generations fill both.
        List<WsClient> busy = new ArrayList<>();
        try {
            // Two that run (each started before the next is sent: connections race, so which two the
            // scheduler admits first is otherwise chance), then two that wait.
            for (int i = 0; i < 4; i++) {
                WsClient ws = WsClient.connect(base);
                busy.add(ws);
                ws.send(chat("q" + i, "a", 100_000, i));
                if (i < 2) ws.expect("start");
            }
            Server.awaitMetric("rill_generations_active", "model=\"tiny\"", 2);
            Server.awaitMetric("rill_generations_queued", "model=\"tiny\"", 2);
            try (WsClient fifth = WsClient.connect(base)) {
                fifth.send(chat("q4", "a", 5, 4));
                JsonNode error = fifth.expectError("overloaded");
                assertEquals("q4", error.get("id").asText());
            }
            RestAssured.given().contentType("application/json").body("{\"prompt\":\"a\",\"max_tokens\":3}")
                    .post("/v1/completions").then().statusCode(429).header("Retry-After", "1")
                    .body("error.type", org.hamcrest.Matchers.equalTo("overloaded_error"))
                    .body("error.code", org.hamcrest.Matchers.equalTo("overloaded"));
            // A queued generation cancelled before it started ends at once, with nothing generated.
            busy.get(3).send(Map.of("type", "cancel", "id", "q3"));
            JsonNode done = busy.get(3).expect("done");
            assertEquals("cancelled", done.get("finish_reason").asText());
            assertEquals(0, done.at("/usage/completion_tokens").asInt());
        } finally {
            busy.forEach(WsClient::close);
        }
    }

    @Test
    void browsersFromOtherOriginsAreRefusedAtTheHandshake() throws Exception {
        Exception refused = assertThrows(Exception.class,
                () -> WsClient.connect(base, c -> c.addHeader("Origin", "https://evil.example")));
        assertTrue(String.valueOf(refused.getMessage()).contains("403") || String.valueOf(refused.getCause()).contains("403"), refused.toString());
        String own = "http://" + base.getHost() + ":" + base.getPort();
        try (WsClient ws = WsClient.connect(base, c -> c.addHeader("Origin", own))) {
            ws.send(chat("o", "a", 2, 1));
            ws.expect("start");
            ws.untilEnd("o");
        }
    }
}
