package dev.rill.server.model;

import dev.rill.server.LiveServerTest;
import dev.rill.server.TinyModelResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Gemma 2, Gemma 3 and Phi-3 GGUF files served by the real server (as {@code rill serve --model}
 * loads them): listed with their family's facts, and answering the OpenAI API and the tokenizer
 * endpoint with their own vocabulary. Their numerics are checked against transformers in the
 * engine's GgufModelTest.
 */
@QuarkusTest
@QuarkusTestResource(TinyModelResource.class)
@TestProfile(FamiliesProfile.class)
class FamiliesServedTest extends LiveServerTest {

    @Test
    void eachFamilyIsListedWithItsFacts() {
        for (String f : FamiliesProfile.FAMILIES) {
            Response r = RestAssured.get("/api/models");
            r.then().statusCode(200);
            Map<String, Object> info = r.jsonPath().getMap("find { it.name == '" + f + "' }.info");
            assertEquals(f, info.get("architecture"), r.asString());
            assertEquals(f.equals("gemma3") ? 6 : 2, info.get("n_layer"), f);
            assertEquals("gguf", info.get("tokenizer"), f);
        }
    }

    @Test
    void eachFamilyCompletesAPrompt() {
        for (String f : FamiliesProfile.FAMILIES) {
            Response r = RestAssured.given().contentType(ContentType.JSON)
                    .body(Map.of("model", f, "prompt", "HELLO WORLD", "max_tokens", 6, "temperature", 0, "seed", 1))
                    .post("/v1/completions");
            assertEquals(200, r.statusCode(), f + ": " + r.asString());
            r.then().body("model", equalTo(f));
            int completion = r.jsonPath().getInt("usage.completion_tokens");
            assertTrue(completion >= 1 && completion <= 6, f + ": " + r.asString());
            // Greedy decoding is deterministic: the same request gives the same text.
            Response again = RestAssured.given().contentType(ContentType.JSON)
                    .body(Map.of("model", f, "prompt", "HELLO WORLD", "max_tokens", 6, "temperature", 0, "seed", 2))
                    .post("/v1/completions");
            assertEquals(r.jsonPath().getString("choices[0].text"), again.jsonPath().getString("choices[0].text"), f);
            List<Integer> ids = RestAssured.given().contentType(ContentType.JSON).body(Map.of("model", f, "text", "AB"))
                    .post("/api/tokenize").jsonPath().getList("tokens");
            assertEquals(List.of(33, 34), ids, f + ": the GGUF vocabulary maps bytes 32.. to ids 0..");
        }
    }

    @Test
    void textTheVocabularyCannotEncodeIsTheRequestsError() {
        // These tiny vocabularies lack bytes (e.g. '|', which Phi-3's chat template writes): a 400 naming the byte, not a failure.
        Response r = RestAssured.given().contentType(ContentType.JSON)
                .body(Map.of("model", "phi3", "prompt", "A|B", "max_tokens", 2)).post("/v1/completions");
        assertEquals(400, r.statusCode(), r.asString());
        assertEquals("prompt", r.jsonPath().getString("error.param"), r.asString());
        assertTrue(r.jsonPath().getString("error.message").contains("byte 0x7C"), r.asString());
        r = RestAssured.given().contentType(ContentType.JSON)
                .body(Map.of("model", "phi3", "messages", List.of(Map.of("role", "user", "content", "HI")), "max_tokens", 2))
                .post("/v1/chat/completions");
        assertEquals(400, r.statusCode(), r.asString());
        assertEquals("messages", r.jsonPath().getString("error.param"), r.asString());
        assertTrue(r.jsonPath().getString("error.message").contains("no token for"), r.asString());
    }
}
