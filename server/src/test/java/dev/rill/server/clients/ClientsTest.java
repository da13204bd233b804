package dev.rill.server.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.rill.server.LiveServerTest;
import dev.rill.server.TinyModelResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The proof: real OpenAI clients against the running application — the official {@code openai}
 * package and the Vercel AI SDK (Node, src/test/node) and LangChain4j's OpenAI client — on a model
 * with a byte-level vocabulary (random weights: the content is noise, the form is what is tested).
 * Structured output is validated with an independent JSON Schema validator; tool calls likewise
 * against the tool's parameters. Also CORS for a configured origin.
 */
@QuarkusTest
@TestProfile(ClientsProfile.class)
@QuarkusTestResource(TinyModelResource.class)
class ClientsTest extends LiveServerTest {

    static final String MODEL = "tiny-bpe";
    static final ObjectMapper JSON = new ObjectMapper();
    static final JsonSchemaFactory SCHEMAS = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    @TestHTTPResource("/v1")
    URI v1;

    static void assertValid(JsonNode schema, String document) throws Exception {
        JsonNode doc = JSON.readTree(document);
        Set<ValidationMessage> errors = SCHEMAS.getSchema(schema).validate(doc);
        assertTrue(errors.isEmpty(), () -> document + " → " + errors);
    }

    @Test
    void theOpenAiPackage() throws Exception {
        JsonNode out = NodeClients.run("openai-client.mjs", v1.toString(), MODEL);
        // logprobs, not streamed and streamed
        JsonNode content = out.at("/logprobs/content");
        assertEquals(8, content.size());
        for (JsonNode e : content) {
            assertTrue(e.get("logprob").asDouble() <= 0);
            assertEquals(3, e.get("top_logprobs").size());
        }
        assertFalse(out.get("streamedLogprobs").isEmpty());
        for (JsonNode e : out.get("streamedLogprobs")) assertEquals(2, e.get("top_logprobs").size());
        // json_schema, strict
        assertValid(out.get("schema"), out.get("structured").asText());
        assertEquals("stop", out.get("structuredFinish").asText());
        // tools: required, then the result back
        JsonNode params = JSON.readTree("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"enum\":[\"Paris\",\"Oslo\",\"Lima\"]},"
                + "\"days\":{\"type\":\"integer\"}},\"required\":[\"city\",\"days\"],\"additionalProperties\":false}");
        assertEquals("tool_calls", out.at("/toolCall/finish_reason").asText());
        JsonNode calls = out.at("/toolCall/message/tool_calls");
        assertFalse(calls.isEmpty());
        for (JsonNode c : calls) {
            assertEquals("function", c.get("type").asText());
            assertEquals("get_weather", c.at("/function/name").asText());
            assertTrue(c.get("id").asText().startsWith("call_"));
            assertValid(params, c.at("/function/arguments").asText());
        }
        assertTrue(out.at("/afterTool/message/tool_calls").isMissingNode() || out.at("/afterTool/message/tool_calls").isEmpty());
        assertTrue(out.at("/afterTool/message/content").isTextual());
        assertEquals("tool_calls", out.get("streamedFinish").asText());
        assertEquals(1, out.get("streamedCalls").size(), "a named function: one call");
        assertEquals("get_weather", out.at("/streamedCalls/0/name").asText());
        assertValid(params, out.at("/streamedCalls/0/arguments").asText());
        // n = 3
        assertEquals(3, out.get("n").size());
        for (int i = 0; i < 3; i++) assertEquals(i, out.at("/n/" + i + "/index").asInt());
        boolean allToLength = true;
        for (JsonNode c : out.get("n")) allToLength &= "length".equals(c.get("finish").asText());
        int nTokens = out.at("/nUsage/completion_tokens").asInt();
        if (allToLength) assertEquals(18, nTokens, out.get("n").toString());
        else assertTrue(nTokens >= 3 && nTokens < 18, out.get("n").toString());
        // include_usage: the last chunk has no choices and the usage
        JsonNode chunks = out.get("usageChunks");
        JsonNode last = chunks.get(chunks.size() - 1);
        assertEquals(0, last.get("choices").asInt());
        // Random weights may draw the end token before max_tokens: then the finish is "stop" and fewer tokens are counted.
        String finish = null;
        for (int i = 0; i < chunks.size() - 1; i++) {
            assertTrue(chunks.get(i).get("usage").isNull());
            if (!chunks.get(i).get("finish").isNull()) finish = chunks.get(i).get("finish").asText();
        }
        int completionTokens = last.at("/usage/completion_tokens").asInt();
        if ("length".equals(finish)) assertEquals(5, completionTokens, chunks.toString());
        else {
            assertEquals("stop", finish, chunks.toString());
            assertTrue(completionTokens >= 1 && completionTokens < 5, chunks.toString());
        }
        // completions logprobs
        assertEquals(4, out.at("/completionLogprobs/tokens").size());
        assertEquals(2, out.at("/completionLogprobs/top_logprobs/0").size());
        // embeddings: the client asks for base64 and decodes it itself; explicitly base64, it keeps the string
        JsonNode hello = out.at("/embeddings/0");
        assertEquals(64, hello.size());
        ByteBuffer b = ByteBuffer.wrap(Base64.getDecoder().decode(out.get("embeddingBase64").asText())).order(ByteOrder.LITTLE_ENDIAN);
        for (JsonNode v : hello) assertEquals(v.floatValue(), b.getFloat(), 1e-6);
        // a field Rill does not do is refused by name
        assertEquals(400, out.at("/refused/status").asInt());
        assertTrue(out.at("/refused/message").asText().contains("audio") || out.at("/refused/message").asText().contains("modalities"),
                out.get("refused").toString());
    }

    @Test
    void theVercelAiSdk() throws Exception {
        JsonNode out = NodeClients.run("vercel-ai.mjs", v1.toString(), MODEL);
        JsonNode object = out.get("object");
        assertTrue(object.get("name").isTextual() && object.get("name").asText().length() <= 20, object.toString());
        assertTrue(object.get("age").isIntegralNumber(), object.toString());
        assertTrue(object.get("friends").size() <= 2);
        for (JsonNode f : object.get("friends")) {
            assertTrue(f.get("name").isTextual() && f.get("close").isBoolean(), object.toString());
        }
        assertEquals("stop", out.get("objectFinish").asText());
        StringBuilder streamed = new StringBuilder();
        for (JsonNode p : out.get("parts")) streamed.append(p.asText());
        assertEquals(out.get("text").asText(), streamed.toString());
        assertTrue(out.get("parts").size() > 1, "streamed in pieces");
        assertTrue(out.at("/streamUsage/outputTokens").asInt() <= 12);
    }

    OpenAiChatModel langChain4j() {
        return OpenAiChatModel.builder().baseUrl(v1.toString()).apiKey("unused").modelName(MODEL).maxTokens(300).seed(5)
                .supportedCapabilities(Capability.RESPONSE_FORMAT_JSON_SCHEMA).strictJsonSchema(true).build();
    }

    @Test
    void langChain4jStructuredOutputAndTools() throws Exception {
        OpenAiChatModel model = langChain4j();
        // Strings as enums: the test model's weights are random, and a free string would end only by chance.
        JsonObjectSchema person = JsonObjectSchema.builder()
                .addEnumProperty("name", List.of("Ada", "Alan", "Grace")).addIntegerProperty("age").addBooleanProperty("retired")
                .addProperty("langs", JsonArraySchema.builder().items(JsonObjectSchema.builder().addEnumProperty("code", List.of("en", "fr")).required("code").build()).build())
                .required("name", "age", "retired", "langs").build();
        ChatResponse structured = model.chat(ChatRequest.builder().messages(UserMessage.from("Describe someone."))
                .responseFormat(ResponseFormat.builder().type(ResponseFormatType.JSON).jsonSchema(JsonSchema.builder().name("person").rootElement(person).build()).build())
                .build());
        JsonNode schema = JSON.readTree("""
                {"type":"object","properties":{"name":{"enum":["Ada","Alan","Grace"]},"age":{"type":"integer"},"retired":{"type":"boolean"},
                 "langs":{"type":"array","items":{"type":"object","properties":{"code":{"enum":["en","fr"]}},"required":["code"]}}},
                 "required":["name","age","retired","langs"]}""");
        assertValid(schema, structured.aiMessage().text());

        ToolSpecification weather = ToolSpecification.builder().name("get_weather").description("The weather in a city")
                .parameters(JsonObjectSchema.builder().addEnumProperty("city", List.of("Paris", "Oslo")).addIntegerProperty("days").required("city", "days").build()).build();
        UserMessage question = UserMessage.from("Weather in Paris?");
        ChatResponse called = model.chat(ChatRequest.builder().messages(question).toolSpecifications(weather).toolChoice(ToolChoice.REQUIRED).build());
        List<ToolExecutionRequest> requests = called.aiMessage().toolExecutionRequests();
        assertFalse(requests.isEmpty(), called.toString());
        JsonNode params = JSON.readTree("{\"type\":\"object\",\"properties\":{\"city\":{\"enum\":[\"Paris\",\"Oslo\"]},\"days\":{\"type\":\"integer\"}},\"required\":[\"city\",\"days\"]}");
        for (ToolExecutionRequest r : requests) {
            assertEquals("get_weather", r.name());
            assertValid(params, r.arguments());
        }
        List<dev.langchain4j.data.message.ChatMessage> conversation = new ArrayList<>(List.of(question, called.aiMessage()));
        for (ToolExecutionRequest r : requests) conversation.add(ToolExecutionResultMessage.from(r, "{\"temp\": 21}"));
        ChatResponse answered = model.chat(ChatRequest.builder().messages(conversation).toolSpecifications(weather).toolChoice(ToolChoice.AUTO)
                .maxOutputTokens(8).build());
        AiMessage reply = answered.aiMessage();
        assertTrue(reply.text() != null || reply.hasToolExecutionRequests(), answered.toString());
    }

    @Test
    void structuredOutputOverPlainHttpAlwaysValidates() throws Exception {
        JsonNode schema = JSON.readTree("""
                {"type":"object","properties":{
                  "id":{"type":"integer"},"label":{"type":"string","maxLength":10},"score":{"type":["number","null"]},
                  "kind":{"enum":["a","b","c"]},"items":{"type":"array","items":{"type":"boolean"},"maxItems":3},
                  "child":{"anyOf":[{"type":"null"},{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"],"additionalProperties":false}]}},
                 "required":["id","label","score","kind","items","child"],"additionalProperties":false}""");
        for (int seed = 0; seed < 8; seed++) {
            String content = given().contentType("application/json").body(Map.of("model", MODEL, "max_tokens", 400, "seed", seed,
                            "messages", List.of(Map.of("role", "user", "content", "go")),
                            "response_format", Map.of("type", "json_schema", "json_schema", Map.of("name", "s", "schema", schema, "strict", true))))
                    .post("/v1/chat/completions").then().statusCode(200).extract().jsonPath().getString("choices[0].message.content");
            assertValid(schema, content);
        }
        String object = given().contentType("application/json").body(Map.of("model", MODEL, "max_tokens", 300, "seed", 1,
                        "messages", List.of(Map.of("role", "user", "content", "go")), "response_format", Map.of("type", "json_object")))
                .post("/v1/chat/completions").then().statusCode(200).extract().jsonPath().getString("choices[0].message.content");
        assertTrue(JSON.readTree(object).isObject(), object);
    }

    @Test
    void corsForTheConfiguredOriginOnly() {
        var preflight = given().header("Origin", ClientsProfile.ORIGIN).header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type,x-stainless-os").options("/v1/chat/completions");
        assertTrue(preflight.statusCode() == 200 || preflight.statusCode() == 204, preflight.asString());
        assertEquals(ClientsProfile.ORIGIN, preflight.header("Access-Control-Allow-Origin"));
        assertTrue(preflight.header("Access-Control-Allow-Methods").contains("POST"));
        assertTrue(preflight.header("Access-Control-Allow-Headers").toLowerCase().contains("x-stainless-os"));
        var actual = given().header("Origin", ClientsProfile.ORIGIN).contentType("application/json")
                .body(Map.of("model", MODEL, "prompt", "a", "max_tokens", 1)).post("/v1/completions");
        assertEquals(200, actual.statusCode());
        assertEquals(ClientsProfile.ORIGIN, actual.header("Access-Control-Allow-Origin"));
        assertEquals(ClientsProfile.ORIGIN, given().header("Origin", ClientsProfile.ORIGIN).get("/api/models").header("Access-Control-Allow-Origin"));
        var other = given().header("Origin", "https://evil.example").get("/v1/models");
        assertNull(other.header("Access-Control-Allow-Origin"), "another origin gets no CORS headers");
        // The web page and health are not the API's: no CORS headers there.
        assertNull(given().header("Origin", ClientsProfile.ORIGIN).get("/q/health/live").header("Access-Control-Allow-Origin"));
        assertEquals(200, RestAssured.get("/").statusCode());
    }
}
