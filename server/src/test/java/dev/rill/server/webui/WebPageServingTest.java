package dev.rill.server.webui;

import dev.rill.sampling.SamplerChain;
import dev.rill.server.Server;
import dev.rill.server.TinyModelResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.startsWith;

/** What the page needs from the server over plain HTTP: the files with their headers, and /api/generation. */
@QuarkusTest
@TestProfile(WebUiProfile.class)
@QuarkusTestResource(TinyModelResource.class)
class WebPageServingTest {

    @BeforeEach
    void ready() throws InterruptedException {
        Server.awaitReady();
    }

    @Test
    void theRootServesThePageWithItsPolicyAndRevalidation() {
        RestAssured.get("/").then().statusCode(200).contentType(startsWith("text/html"))
                .body(containsString("<script type=\"module\" src=\"js/app.js\"></script>"))
                .header("Cache-Control", "no-cache")
                .header("X-Frame-Options", "DENY")
                .header("X-Content-Type-Options", "nosniff")
                .header("Content-Security-Policy", containsString("script-src 'self';"))
                .header("Content-Security-Policy", containsString("frame-ancestors 'none'"));
        for (String file : List.of("js/app.js", "js/connection.js", "js/conversation.js", "js/settings.js", "js/settings-panel.js",
                "js/api.js", "js/words.js", "style.css", "favicon.svg")) {
            String lastModified = RestAssured.get("/" + file).then().statusCode(200).header("Cache-Control", "no-cache")
                    .extract().header("Last-Modified");
            // Revalidation costs a 304 when nothing changed.
            given().header("If-Modified-Since", lastModified).get("/" + file).then().statusCode(304);
        }
        RestAssured.get("/js/app.js").then().contentType(startsWith("text/javascript"));
    }

    @Test
    void theLibrariesComeFromTheirMavenJarsWithoutAVersionInThePath() {
        for (String file : List.of("/_static/marked/lib/marked.esm.js", "/_static/dompurify/dist/purify.es.mjs",
                "/webjars/highlightjs/highlight.min.js")) {
            RestAssured.get(file).then().statusCode(200).contentType(containsString("javascript"))
                    .header("X-Content-Type-Options", "nosniff").header("Cache-Control", "no-cache");
        }
        RestAssured.get("/webjars/highlightjs/styles/github.min.css").then().statusCode(200).contentType(startsWith("text/css"));
    }

    @Test
    void generationDefaultsAreTheConfiguredOnes() {
        RestAssured.get("/api/generation").then().statusCode(200)
                .body("sampling.chain", equalTo(SamplerChain.DEFAULT))
                .body("sampling.params.temperature", equalTo((float) WebUiProfile.CONFIGURED_TEMPERATURE))
                .body("max_tokens.default", equalTo(32))
                .body("max_tokens.max", equalTo(100000))
                .body("stop.max", equalTo(16))
                .body("stop.max_length", equalTo(256));
    }
}
