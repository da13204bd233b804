package dev.rill.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.rill.generate.GenerationRequest;
import dev.rill.generate.GenerationResult;
import dev.rill.generate.Generator;
import dev.rill.model.LoadedModel;
import dev.rill.model.TinyModel;
import dev.rill.sampling.SamplerChain;
import dev.rill.server.LiveServerTest;
import dev.rill.server.Server;
import dev.rill.server.TinyModelResource;
import dev.rill.server.WsClient;
import dev.rill.server.chat.ChatMessage;
import dev.rill.server.chat.PlainChatFormat;
import dev.rill.spi.ForwardPass;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OpenAI-style API against the running application, with RestAssured and LangChain4j's OpenAI client. */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
class OpenAiApiTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;



    static Response post(String path, Object body) {
        return given().contentType("application/json").body(body).post(path);
    }

    /** The data lines of an SSE body, in order. */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String block : body.split("\n\n")) {
            for (String line : block.split("\n")) if (line.startsWith("data: ")) out.add(line.substring(6));
        }
        return out;
    }

    @Test
    void listsTheServedModels() {
        RestAssured.get("/v1/models").then().statusCode(200).body("object", equalTo("list"))
                .body("data[0].id", equalTo("tiny")).body("data[0].object", equalTo("model")).body("data[0].owned_by", equalTo("rill"));
        RestAssured.get("/v1/models/tiny").then().statusCode(200).body("id", equalTo("tiny"));
        RestAssured.get("/v1/models/nope").then().statusCode(404).body("error.code", equalTo("model_not_found"))
                .body("error.type", equalTo("not_found_error")).body("error.message", org.hamcrest.Matchers.containsString("tiny"));
    }

    @Test
    void aStreamedChatCompletionIsTheNonStreamedOneInChunks() throws Exception {
        Map<String, Object> request = Map.of("model", "tiny", "messages", List.of(Map.of("role", "user", "content", "Hello")),
                "max_tokens", 20, "seed", 3, "temperature", 1.0);
        JsonNode whole = WsClient.JSON.readTree(post("/v1/chat/completions", request).then().statusCode(200)
                .contentType("application/json").extract().asString());
        assertEquals("chat.completion", whole.get("object").asText());
        assertTrue(whole.get("id").asText().startsWith("chatcmpl-"));
        assertEquals("assistant", whole.at("/choices/0/message/role").asText());
        String content = whole.at("/choices/0/message/content").asText();
        String finish = whole.at("/choices/0/finish_reason").asText();
        assertTrue(List.of("stop", "length").contains(finish), finish);
        int prompt = TinyModel.load().vocabulary().encode(PlainChatFormat.INSTANCE.render(List.of(new ChatMessage("user", "Hello")))).length;
        assertEquals(prompt, whole.at("/usage/prompt_tokens").asInt());
        int completion = whole.at("/usage/completion_tokens").asInt();
        assertEquals(prompt + completion, whole.at("/usage/total_tokens").asInt());

        Map<String, Object> streamed = new java.util.HashMap<>(request);
        streamed.put("stream", true);
        streamed.put("stream_options", Map.of("include_usage", true));
        Response sse = post("/v1/chat/completions", streamed);
        sse.then().statusCode(200).header("Content-Type", org.hamcrest.Matchers.startsWith("text/event-stream"))
                .header("X-Accel-Buffering", "no");
        List<String> events = events(sse.asString());
        assertEquals("[DONE]", events.getLast());
        JsonNode first = WsClient.JSON.readTree(events.getFirst());
        assertEquals("chat.completion.chunk", first.get("object").asText());
        assertEquals("assistant", first.at("/choices/0/delta/role").asText());
        StringBuilder text = new StringBuilder();
        for (String e : events.subList(1, events.size() - 3)) {
            JsonNode chunk = WsClient.JSON.readTree(e);
            assertTrue(chunk.at("/choices/0/finish_reason").isNull());
            assertTrue(chunk.get("usage") == null || chunk.get("usage").isNull(), "usage only in its own last chunk");
            text.append(chunk.at("/choices/0/delta/content").asText());
        }
        JsonNode last = WsClient.JSON.readTree(events.get(events.size() - 3));
        assertEquals(finish, last.at("/choices/0/finish_reason").asText());
        // stream_options.include_usage: OpenAI's separate last chunk, with no choices.
        JsonNode usage = WsClient.JSON.readTree(events.get(events.size() - 2));
        assertEquals(0, usage.get("choices").size());
        assertEquals(completion, usage.at("/usage/completion_tokens").asInt());
        assertEquals(prompt, usage.at("/usage/prompt_tokens").asInt());
        assertEquals(content, text.toString());
    }

    @Test
    void completionsContinueARawPromptExactlyAsTheEngineDoes() throws Exception {
        LoadedModel model = TinyModel.load();
        GenerationResult want;
        try (ForwardPass pass = TinyModel.prepare(model)) {
            SamplerChain chain = SamplerChain.of(TinyModel.REGISTRY, List.of("temperature", "dist"), Map.of("temperature", 1.0));
            want = new Generator(model, pass).generateNow(new GenerationRequest(model.vocabulary().encode("ALL:\n"), 30, chain, 5L, List.of()), t -> {
            });
        }
        Map<String, Object> request = Map.of("prompt", "ALL:\n", "max_tokens", 30, "seed", 5, "temperature", 1.0,
                "sampling", Map.of("chain", List.of("temperature", "dist")));
        post("/v1/completions", request).then().statusCode(200).body("object", equalTo("text_completion"))
                .body("choices[0].text", equalTo(want.text())).body("choices[0].finish_reason", equalTo("length"))
                .body("usage.completion_tokens", equalTo(30)).body("usage.prompt_tokens", equalTo(5));
        Map<String, Object> echo = new java.util.HashMap<>(request);
        echo.put("echo", true);
        post("/v1/completions", echo).then().statusCode(200).body("choices[0].text", equalTo("ALL:\n" + want.text()));
        Map<String, Object> stream = new java.util.HashMap<>(request);
        stream.put("stream", true);
        List<String> events = events(post("/v1/completions", stream).then().statusCode(200).extract().asString());
        assertEquals("[DONE]", events.getLast());
        StringBuilder text = new StringBuilder();
        for (String e : events.subList(0, events.size() - 1)) text.append(WsClient.JSON.readTree(e).at("/choices/0/text").asText());
        assertEquals(want.text(), text.toString());
    }

    record Bad(Object body, int status, String code, String param) {
    }

    @Test
    void badRequestsGet400InTheOpenAiErrorShapeNamingTheField() {
        List<Map<String, Object>> hi = List.of(Map.of("role", "user", "content", "hi"));
        List<Bad> cases = List.of(
                new Bad("{not json", 400, "invalid_json", null),
                new Bad("", 400, "invalid_request", null),
                new Bad(Map.of("model", "tiny"), 400, "invalid_request", "messages"),
                new Bad(Map.of("messages", "hi"), 400, "invalid_request", "messages"),
                new Bad(Map.of("messages", hi, "temperature", "hot"), 400, "invalid_request", "temperature"),
                new Bad(Map.of("messages", hi, "temperature", 99), 400, "invalid_request", "temperature"),
                // Named as the request named it: OpenAI's alias, not the sampler's own name (repeat_penalty).
                new Bad(Map.of("messages", hi, "repetition_penalty", -1), 400, "invalid_request", "repetition_penalty"),
                new Bad(Map.of("messages", hi, "logit_bias", Map.of("x", 1)), 400, "invalid_request", "logit_bias"),
                // Any declared sampling parameter is a top-level field, checked like the others.
                new Bad(Map.of("messages", hi, "typical_p", 5), 400, "invalid_request", "typical_p"),
                new Bad(Map.of("messages", hi, "max_tokens", 0), 400, "invalid_request", "max_tokens"),
                new Bad(Map.of("messages", hi, "max_tokens", "many"), 400, "invalid_request", "max_tokens"),
                new Bad(Map.of("messages", hi, "model", "nope"), 404, "model_not_found", "model"),
                new Bad(Map.of("messages", hi, "n", 17), 400, "invalid_request", "n"),
                new Bad(Map.of("messages", hi, "stop", 5), 400, "invalid_request", "stop"),
                new Bad(Map.of("messages", hi, "seed", "abc"), 400, "invalid_request", "seed"),
                new Bad(Map.of("messages", hi, "tools", List.of(Map.of("type", "function"))), 400, "invalid_request", "tools[0].function"),
                new Bad(Map.of("messages", List.of(Map.of("role", "tool", "content", "x"))), 400, "invalid_request", "messages[0].tool_call_id"),
                new Bad(Map.of("messages", List.of(Map.of("role", "critic", "content", "x"))), 400, "invalid_request", "messages[0].role"),
                new Bad(Map.of("messages", List.of(Map.of("content", "x"))), 400, "invalid_request", "messages[0].role"),
                new Bad(Map.of("messages", List.of(Map.of("role", "user", "content", List.of(Map.of("type", "image_url"))))), 400,
                        "invalid_request", "messages[0].content[0]"),
                new Bad(Map.of("messages", hi, "sampling", Map.of("chain", List.of("nope"))), 400, "invalid_request", "sampling.chain"));
        for (Bad bad : cases) {
            Response r = post("/v1/chat/completions", bad.body());
            String label = String.valueOf(bad.body());
            assertEquals(bad.status(), r.statusCode(), () -> label + " → " + r.asString());
            r.then().contentType("application/json").body("error.message", notNullValue()).body("error.code", equalTo(bad.code()))
                    .body("error.type", equalTo(bad.status() == 404 ? "not_found_error" : "invalid_request_error"));
            if (bad.param() != null) assertEquals(bad.param(), r.jsonPath().getString("error.param"), () -> label + " → " + r.asString());
        }
        post("/v1/completions", Map.of("max_tokens", 3)).then().statusCode(400).body("error.param", equalTo("prompt"));
        post("/v1/completions", Map.of("prompt", List.of(1, 2))).then().statusCode(400).body("error.param", equalTo("prompt"));
        post("/v1/completions", Map.of("prompt", "a", "suffix", "b")).then().statusCode(400).body("error.param", equalTo("suffix"));
    }

    @Test
    void openAiSamplingFieldsWorkWithTheConfiguredChain() {
        boolean topK = RestAssured.get("/api/plugins").jsonPath().getList("sampler.name").contains("top-k");
        Response r = post("/v1/chat/completions", Map.of("messages", List.of(Map.of("role", "user", "content", "hi")),
                "max_tokens", 3, "top_k", 5, "seed", 1));
        if (topK) {
            // The configured chain has no top-k step: the sampler is inserted for this request.
            assertEquals(200, r.statusCode(), r.asString());
        } else {
            assertEquals(400, r.statusCode(), r.asString());
            assertEquals("top_k", r.jsonPath().getString("error.param"));
        }
        post("/v1/chat/completions", Map.of("messages", List.of(Map.of("role", "user", "content", "hi")), "max_tokens", 3, "temperature", 0))
                .then().statusCode(200);
    }

    @Test
    void langChain4jStreamsFromRillLikeFromOpenAi() throws Exception {
        String url = base.toString() + "v1";
        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(url).apiKey("unused").modelName("tiny")
                .maxTokens(25).seed(42).temperature(1.0).timeout(Duration.ofSeconds(60)).build();
        List<String> partials = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat("Good morrow", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                partials.add(partial);
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(60, TimeUnit.SECONDS);
        String text = response.aiMessage().text();
        assertEquals(String.join("", partials), text);
        assertTrue(partials.size() > 1, "streamed in pieces: " + partials.size());
        int prompt = TinyModel.load().vocabulary().encode(PlainChatFormat.INSTANCE.render(List.of(new ChatMessage("user", "Good morrow")))).length;
        assertEquals(prompt, response.tokenUsage().inputTokenCount());
        assertTrue(response.tokenUsage().outputTokenCount() <= 25);
        assertTrue(response.finishReason() == FinishReason.LENGTH || response.finishReason() == FinishReason.STOP, String.valueOf(response.finishReason()));
        if (response.finishReason() == FinishReason.LENGTH) assertEquals(25, response.tokenUsage().outputTokenCount());

        OpenAiChatModel blocking = OpenAiChatModel.builder().baseUrl(url).apiKey("unused").modelName("tiny")
                .maxTokens(25).seed(42).temperature(1.0).timeout(Duration.ofSeconds(60)).build();
        assertEquals(text, blocking.chat("Good morrow"), "the same seed gives the same reply, streamed or not");
    }

    @Test
    void aClientThatGoesAwayMidStreamCancelsItsGeneration() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/v1/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"a\",\"max_tokens\":100000,\"stream\":true}")).build();
        HttpResponse<InputStream> response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            int events = 0;
            while (events < 5) {
                String line = reader.readLine();
                if (line != null && line.startsWith("data: ")) events++;
            }
            assertEquals(1, Server.metric("rill_generations_active", "model=\"tiny\""));
        }
        client.shutdownNow();
        Server.awaitMetric("rill_generations_active", "model=\"tiny\"", 0);
        double computed = Server.metric("rill_forward_tokens_total", "model=\"tiny\"");
        Thread.sleep(300);
        assertEquals(computed, Server.metric("rill_forward_tokens_total", "model=\"tiny\""), "no token computed after the client left");
    }
}
