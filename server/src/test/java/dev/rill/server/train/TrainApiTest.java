package dev.rill.server.train;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rill.server.LiveServerTest;
import dev.rill.server.TinyModelResource;
import dev.rill.server.WsClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Training jobs over HTTP, SSE and /ws/train, and their models served at once over /ws/chat, against the running application. */
@QuarkusTest
@TestProfile(TrainProfile.class)
@QuarkusTestResource(TinyModelResource.class)
class TrainApiTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;

    static RequestSpecification admin() {
        return given().header("Authorization", "Bearer " + TrainProfile.ADMIN);
    }

    /** A tiny character-level run: 30 steps of 4 × 32 tokens, evaluated, sampled and checkpointed every 10. */
    static Map<String, Object> tiny(String name, int steps) {
        Map<String, Object> m = new HashMap<>(Map.of("name", name, "data", TrainProfile.TEXT, "n_layer", 1, "n_head", 2, "n_emb", 16,
                "context", 32, "batch", 4, "steps", steps, "eval_interval", 10, "checkpoint_interval", 10));
        m.put("eval_batches", 2);
        m.put("sample_tokens", 20);
        m.put("learning_rate", 3e-3);
        return m;
    }

    static Response start(Map<String, Object> request) {
        return admin().contentType("application/json").body(request).post("/api/train");
    }

    static JsonNode awaitEnd(String id) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < end) {
            Response r = admin().get("/api/train/" + id);
            String state = r.jsonPath().getString("state");
            if (state.equals("completed") || state.equals("failed") || state.equals("cancelled")) {
                return WsClient.JSON.valueToTree(r.jsonPath().getMap("$"));
            }
            Thread.sleep(50);
        }
        throw new AssertionError("job " + id + " did not end");
    }

    @Test
    void aJobStartedOverHttpStreamsProgressAndItsModelAnswersAChatWithoutARestart() throws Exception {
        try (WsClient progress = WsClient.connect(base, c -> c.path("/ws/train").addHeader("Authorization", "Bearer " + TrainProfile.ADMIN))) {
            while (!progress.next().path("type").asText().equals("subscribed")) {
                // the jobs of earlier tests, as they stand
            }
            Response started = start(tiny("bard", 30));
            started.then().statusCode(201).header("Location", containsString("/api/train/train-")).body("name", equalTo("bard"))
                    .body("config.data", equalTo(TrainProfile.TEXT)).body("config.tokenizer", equalTo("char"));
            String id = started.jsonPath().getString("id");
            List<JsonNode> events = new ArrayList<>();
            while (true) {
                JsonNode e = progress.next();
                if (!id.equals(e.path("job").asText())) continue;
                events.add(e);
                if (e.path("type").asText().equals("state") && e.path("state").asText().equals("completed")) break;
                assertFalse(e.path("state").asText().equals("failed"), () -> "the job failed: " + e);
            }
            List<String> types = events.stream().map(e -> e.path("type").asText()).toList();
            long progressEvents = types.stream().filter(t -> t.equals("progress") || t.equals("eval")).count();
            assertTrue(progressEvents >= 3, "progress events: " + types);
            assertEquals(List.of("queued", "running"), events.stream().filter(e -> e.path("type").asText().equals("state"))
                    .limit(2).map(e -> e.path("state").asText()).toList(), types::toString);
            JsonNode eval = events.stream().filter(e -> e.path("type").asText().equals("eval")).findFirst().orElseThrow();
            assertTrue(eval.path("val_loss").asDouble() > 0 && eval.path("train_loss").asDouble() > 0, eval::toString);
            assertTrue(types.contains("sample"), types::toString);
            JsonNode checkpoint = events.stream().filter(e -> e.path("type").asText().equals("checkpoint")).findFirst().orElseThrow();
            assertEquals("bard", checkpoint.path("model").asText());
            JsonNode last = events.stream().filter(e -> e.path("type").asText().equals("progress")).reduce((a, b) -> b).orElseThrow();
            assertEquals(30, last.path("step").asInt());
            assertTrue(last.path("tokens_per_second").asDouble() > 0 && last.has("eta_seconds"), last::toString);

            admin().get("/api/train/" + id).then().statusCode(200).body("state", equalTo("completed")).body("model", equalTo("bard"))
                    .body("step", equalTo(30)).body("checkpoint_step", equalTo(30)).body("val_curve.size()", equalTo(3))
                    .body("train_curve.size()", equalTo(30));
            admin().get("/api/train").then().statusCode(200).body("id", hasItem(id));
        }
        // Served at once, with no restart: listed, and it answers over the WebSocket.
        RestAssured.get("/api/models").then().statusCode(200).body("name", hasItem("bard"))
                .body("find { it.name == 'bard' }.info.context_size", equalTo(32)).body("find { it.name == 'bard' }.default", equalTo(false));
        try (WsClient chat = WsClient.connect(base)) {
            chat.send(Map.of("type", "chat", "id", "c", "model", "bard", "messages", List.of(Map.of("role", "user", "content", "Speak.")),
                    "max_tokens", 8, "seed", 1));
            List<JsonNode> frames = chat.untilEnd("c");
            assertEquals("bard", frames.getFirst().path("model").asText(), frames::toString);
            assertEquals("done", frames.getLast().path("type").asText(), frames::toString);
            assertTrue(frames.stream().anyMatch(f -> f.path("type").asText().equals("token")), frames::toString);
        }
    }

    @Test
    void serverSentEventsFollowAJobToItsEnd() throws Exception {
        Map<String, Object> slow = tiny("sse", 100_000);
        slow.put("eval_interval", 5);
        slow.put("checkpoint_interval", 100_000);
        String id = start(slow).then().statusCode(201).extract().path("id");
        HttpRequest request = HttpRequest.newBuilder(base.resolve("/api/train/" + id + "/events"))
                .header("Authorization", "Bearer " + TrainProfile.ADMIN).header("Accept", "text/event-stream").build();
        HttpResponse<java.io.InputStream> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, response.statusCode());
        List<String> names = new ArrayList<>();
        String lastData = null;
        boolean cancelled = false;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("event:")) names.add(line.substring(6).strip());
                if (line.startsWith("data:")) lastData = line.substring(5).strip();
                if (!cancelled && names.stream().filter(n -> n.equals("progress") || n.equals("eval")).count() == 3 && line.startsWith("data:")) {
                    admin().delete("/api/train/" + id).then().statusCode(200);
                    cancelled = true;
                }
            }
        }
        assertEquals("job", names.getFirst(), names::toString);
        assertEquals("state", names.getLast(), names::toString);
        assertTrue(lastData.contains("\"cancelled\""), lastData);
        assertEquals("cancelled", awaitEnd(id).path("state").asText());
    }

    @Test
    void cancelStopsARunningJobWithinAStepAndAQueuedOneBeforeItStarts() throws Exception {
        Map<String, Object> slow = tiny("long", 100_000);
        slow.put("n_emb", 64);
        slow.put("context", 64);
        slow.put("eval_interval", 100_000);
        slow.put("checkpoint_interval", 100_000);
        String running = start(slow).then().statusCode(201).extract().path("id");
        Map<String, Object> next = tiny("waiting", 10);
        String queued = start(next).then().statusCode(201).body("state", equalTo("queued")).extract().path("id");
        // The queue holds one (rill.train.queue-size=1): a third is refused.
        start(tiny("third", 10)).then().statusCode(429).body("error.code", equalTo("queue_full"));
        long end = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (admin().get("/api/train/" + running).jsonPath().getInt("step") < 3 && System.nanoTime() < end) Thread.sleep(20);
        admin().delete("/api/train/" + queued).then().statusCode(200);
        assertEquals("cancelled", awaitEnd(queued).path("state").asText());
        // The step the job had reached when the cancel arrived: at most the step then running completes after it.
        int stepAtCancel = admin().delete("/api/train/" + running).then().statusCode(200).extract().path("step");
        JsonNode ended = awaitEnd(running);
        assertEquals("cancelled", ended.path("state").asText());
        assertTrue(ended.path("step").asInt() <= stepAtCancel + 1, "stopped within a step: " + stepAtCancel + " → " + ended.path("step"));
        admin().delete("/api/train/" + running).then().statusCode(409).body("error.code", equalTo("job_finished"));
        admin().delete("/api/train/nope").then().statusCode(404).body("error.code", equalTo("job_not_found"));
    }

    @Test
    void fineTuningAServedModelOnConversations() throws Exception {
        Map<String, Object> base = tiny("bard-base", 10);
        base.put("context", 64);
        String id = start(base).then().statusCode(201).extract().path("id");
        assertEquals("completed", awaitEnd(id).path("state").asText());
        Map<String, Object> sft = new HashMap<>(Map.of("name", "bard-chat", "data", TrainProfile.CHATS, "sft", true, "base", "bard-base",
                "steps", 10, "batch", 2, "eval_interval", 5));
        String tuned = start(sft).then().statusCode(201).body("config.sft", equalTo(true)).body("config.n_emb", equalTo(16))
                .extract().path("id");
        JsonNode end = awaitEnd(tuned);
        assertEquals("completed", end.path("state").asText(), end::toString);
        assertEquals(0, end.path("val_curve").get(0).get(0).asInt(), "the held-out loss before the first step");
        RestAssured.get("/api/models").then().body("name", hasItem("bard-chat"));
        // Sizes come from the base; a GGUF-free server has no other base to refuse, but a field that contradicts it is refused.
        sft.put("name", "bard-chat-2");
        sft.put("n_layer", 3);
        start(sft).then().statusCode(400).body("error.param", equalTo("n_layer")).body("error.message", containsString("comes from the base model"));
    }

    @Test
    void badRequestsAreRefusedWithOneLineNamingTheField() {
        start(Map.of("data", "../../pom.xml")).then().statusCode(400).body("error.param", equalTo("data"))
                .body("error.message", containsString("no data file '../../pom.xml'"));
        start(Map.of("data", "/etc/passwd")).then().statusCode(400).body("error.param", equalTo("data"));
        start(Map.of("data", "notes.md")).then().statusCode(400).body("error.param", equalTo("data"));
        start(Map.of("data", TrainProfile.TEXT, "tokenizer", "morse")).then().statusCode(400).body("error.message", containsString("morse"));
        start(Map.of("data", TrainProfile.TEXT, "n_emb", 10, "n_head", 4)).then().statusCode(400)
                .body("error.message", containsString("must be divisible by n-head"));
        start(Map.of("data", TrainProfile.TEXT, "steps", "many")).then().statusCode(400).body("error.param", equalTo("steps"));
        start(Map.of("data", TrainProfile.TEXT, "epochs", 3)).then().statusCode(400).body("error.message", containsString("unknown field 'epochs'"));
        start(Map.of("data", TrainProfile.TEXT, "name", "tiny")).then().statusCode(409).body("error.code", equalTo("name_taken"));
        start(Map.of("data", TrainProfile.TEXT, "name", "../x")).then().statusCode(400).body("error.param", equalTo("name"));
        start(Map.of("data", TrainProfile.TEXT, "sft", true)).then().statusCode(400).body("error.message", containsString("line 1"));
        start(Map.of("data", TrainProfile.CHATS, "sft", true, "base", "nothing")).then().statusCode(404).body("error.param", equalTo("base"));
        admin().get("/api/train/files").then().statusCode(200).body("name", hasItem(TrainProfile.TEXT)).body("name", hasItem(TrainProfile.CHATS))
                .body("name", not(hasItem("notes.md")));
    }

    @Test
    void trainingNeedsTheAdminKeyWhileChatStaysOpen() throws Exception {
        for (String path : List.of("/api/train", "/api/train/files", "/api/train/train-1")) {
            RestAssured.get(path).then().statusCode(401).header("WWW-Authenticate", "Bearer").body("error.code", equalTo("admin_key_required"));
            given().header("Authorization", "Bearer wrong").get(path).then().statusCode(401).body("error.code", equalTo("invalid_api_key"));
        }
        given().contentType("application/json").body(tiny("nokey", 5)).post("/api/train").then().statusCode(401);
        given().contentType("application/octet-stream").body("To be".getBytes(StandardCharsets.UTF_8)).post("/api/train/files?name=a.txt").then().statusCode(401)
                .body("error.code", equalTo("admin_key_required"));
        Exception refused = org.junit.jupiter.api.Assertions.assertThrows(Exception.class, () -> WsClient.connect(base, c -> c.path("/ws/train")));
        assertTrue((refused + " " + refused.getCause()).contains("401"), refused.toString());
        RestAssured.get("/api/models").then().statusCode(200);
    }

    @Test
    void uploadsAreKeptWithinTheirLimitAndCanBeTrainedOn() throws Exception {
        String text = "ROMEO:\nBut soft, what light through yonder window breaks?\n".repeat(200);
        Response up = admin().contentType("application/octet-stream").body(text.getBytes(StandardCharsets.UTF_8)).post("/api/train/files?name=my text.txt");
        up.then().statusCode(201).body("source", equalTo("upload")).body("bytes", equalTo(text.length()));
        String name = up.jsonPath().getString("name");
        assertTrue(name.startsWith("uploads/") && name.endsWith("-my_text.txt"), name);
        admin().get("/api/train/files").then().body("name", hasItem(name));
        String id = start(Map.of("name", "uploaded", "data", name, "n_layer", 1, "n_head", 2, "n_emb", 16, "context", 16, "batch", 2,
                "steps", 4, "eval_batches", 1)).then().statusCode(201).extract().path("id");
        assertEquals("completed", awaitEnd(id).path("state").asText());

        byte[] big = new byte[TrainProfile.MAX_UPLOAD + 1];
        java.util.Arrays.fill(big, (byte) 'a');
        admin().contentType("application/octet-stream").body(big).post("/api/train/files?name=big.txt").then().statusCode(413)
                .body("error.code", equalTo("upload_too_large")).body("error.message", containsString(Integer.toString(TrainProfile.MAX_UPLOAD)));
        admin().contentType("application/octet-stream").body(new byte[]{(byte) 0xC3, 0x28}).post("/api/train/files?name=bad.txt").then().statusCode(400)
                .body("error.message", containsString("not valid UTF-8"));
        admin().contentType("application/octet-stream").body("x".getBytes(StandardCharsets.UTF_8)).post("/api/train/files?name=run.sh").then().statusCode(400).body("error.param", equalTo("name"));
        admin().get("/api/train/files").then().body("name", not(hasItem(containsString("big"))));
        // Types a web page may post to any site without a CORS preflight are refused (hardening, #15).
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("/api/train/files?name=page.txt"))
                    .header("Authorization", "Bearer " + TrainProfile.ADMIN).header("Content-Type", type)
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(415, r.statusCode(), type);
            assertTrue(r.body().contains("application/octet-stream"), r.body());
        }
    }

    @Test
    void aStalledUploadEndsWithinTheBodyTimeout() throws Exception {
        // Hardening (#15): an upload streams to a file without a size cap of 1 MB, but it may not stall (body-timeout 2 s here).
        long t0 = System.nanoTime();
        try (dev.rill.cli.attack.RawSocket s = new dev.rill.cli.attack.RawSocket(base, 30_000)) {
            s.write("POST /api/train/files?name=slow.txt HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + TrainProfile.ADMIN
                    + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000\r\n\r\nTo be");
            dev.rill.cli.attack.RawSocket.Head head = s.readHead();
            assertEquals(408, head.status());
            assertTrue(s.readBody(head).contains("rill.limits.body-timeout"));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds >= 2 && seconds < 20, "ended after " + seconds + " s");
        admin().get("/api/train/files").then().body("name", not(hasItem(containsString("slow"))));
    }
}
