package dev.rill.server.security;

import dev.rill.server.LiveServerTest;
import dev.rill.server.TinyModelResource;
import dev.rill.server.WsClient;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;
import java.util.Map;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** With API keys and an origin allowlist configured. */
@QuarkusTest
@TestProfile(SecuredProfile.class)
@QuarkusTestResource(TinyModelResource.class)
class SecurityTest extends LiveServerTest {

    @TestHTTPResource("/")
    URI base;


    @Test
    void theHttpApiNeedsABearerKey() {
        for (String path : List.of("/v1/models", "/api/models", "/api/plugins")) {
            RestAssured.get(path).then().statusCode(401).header("WWW-Authenticate", "Bearer")
                    .body("error.type", equalTo("authentication_error")).body("error.code", equalTo("invalid_api_key"));
            given().header("Authorization", "Bearer wrong").get(path).then().statusCode(401)
                    .body("error.message", equalTo("the API key is not valid"));
            given().header("Authorization", "Bearer key-one").get(path).then().statusCode(200);
            given().header("Authorization", "bearer key-two").get(path).then().statusCode(200);
        }
        // Authentication comes before the body is looked at.
        given().contentType("application/json").body("{nonsense").post("/v1/chat/completions").then().statusCode(401);
        given().header("Authorization", "Bearer key-one").contentType("application/json")
                .body(Map.of("prompt", "a", "max_tokens", 2)).post("/v1/completions").then().statusCode(200);
    }

    @Test
    void healthMetricsAndTheOpenApiDocumentStayOpen() {
        for (String path : List.of("/q/health/live", "/q/health/ready", "/q/health/started", "/q/metrics", "/q/openapi")) {
            RestAssured.get(path).then().statusCode(200);
        }
    }

    static boolean refusedWith(int status, Exception e) {
        String s = e + " " + e.getCause();
        return s.contains(Integer.toString(status));
    }

    @Test
    void theWebSocketTakesTheKeyAsHeaderQueryParameterOrSubprotocol() throws Exception {
        Exception noKey = assertThrows(Exception.class, () -> WsClient.connect(base));
        assertTrue(refusedWith(401, noKey), noKey.toString());
        Exception wrongKey = assertThrows(Exception.class, () -> WsClient.connect(base, c -> c.addHeader("Authorization", "Bearer nope")));
        assertTrue(refusedWith(401, wrongKey), wrongKey.toString());

        try (WsClient ws = WsClient.connect(base, c -> c.addHeader("Authorization", "Bearer key-two"))) {
            roundTrip(ws, "h");
        }
        try (WsClient ws = WsClient.connect(URI.create(base + "?api_key=key-one"))) {
            roundTrip(ws, "q");
        }
        try (WsClient ws = WsClient.connect(base, c -> c.addSubprotocol("rill").addSubprotocol("rill-key.key-one"))) {
            assertEquals("rill", ws.connection.subprotocol(), "the server selects the plain subprotocol, never the key");
            roundTrip(ws, "p");
        }
    }

    @Test
    void allowedOriginsMayOpenTheWebSocketAndOthersMayNot() throws Exception {
        try (WsClient ws = WsClient.connect(base, c -> c.addHeader("Origin", "https://chat.example.com").addHeader("Authorization", "Bearer key-one"))) {
            roundTrip(ws, "o");
        }
        String own = "http://" + base.getHost() + ":" + base.getPort();
        try (WsClient ws = WsClient.connect(base, c -> c.addHeader("Origin", own).addHeader("Authorization", "Bearer key-one"))) {
            roundTrip(ws, "s");
        }
        Exception other = assertThrows(Exception.class, () -> WsClient.connect(base,
                c -> c.addHeader("Origin", "https://chat.example.com.evil.example").addHeader("Authorization", "Bearer key-one")));
        assertTrue(refusedWith(403, other), other.toString());
    }

    private static void roundTrip(WsClient ws, String id) throws InterruptedException {
        ws.send(Map.of("type", "chat", "id", id, "prompt", "a", "max_tokens", 2));
        ws.expect("start");
        assertEquals("length", ws.untilEnd(id).getLast().get("finish_reason").asText());
    }
}
