package dev.rill.server.webui;

import dev.rill.server.Server;
import dev.rill.server.TinyModelResource;
import dev.rill.server.train.TrainProfile;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.hasItem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The train page in a real headless Chromium against the running server (with an admin key):
 * upload a text, pick the tiny preset, train, watch curves and samples arrive, chat with the model;
 * stop a long run.
 */
@QuarkusTest
@TestProfile(TrainProfile.class)
@QuarkusTestResource(TinyModelResource.class)
class TrainPageTest {

    @TestHTTPResource("/")
    URI base;

    static Browser browser;

    @BeforeAll
    static void startBrowser() {
        browser = new Browser("train-page");
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) browser.close();
    }

    void open() throws InterruptedException {
        Server.awaitReady();
        browser.driver.get(base.resolve("/train.html").toString());
        browser.js("localStorage.clear()");
        browser.driver.get(base.resolve("/train.html").toString());
        browser.await("the page asks for the admin key", d -> !browser.find("#notice").getText().isEmpty());
        assertTrue(browser.find("#notice").getText().contains("admin key"), browser.find("#notice").getText());
        WebElement key = browser.find("#key");
        key.sendKeys(TrainProfile.ADMIN);
        browser.js("arguments[0].dispatchEvent(new Event('change'))", key);
        browser.await("the page lists the data files", d -> browser.findAll("#data option").size() >= 2 && browser.find("#notice").getText().isEmpty());
    }

    @Test
    void uploadTrainWatchAndChat() throws Exception {
        RestAssured.get("/train.html").then().statusCode(200).header("Content-Security-Policy", containsString("script-src 'self'"))
                .header("Cache-Control", "no-cache");
        open();
        // The tokenizers offered are the ones that fit a vocabulary; positional encodings come from the plugins.
        List<String> tokenizers = new Select(browser.find("#tokenizer")).getOptions().stream().map(WebElement::getText).toList();
        assertTrue(tokenizers.contains("char") && tokenizers.contains("bpe") && !tokenizers.contains("hf"), tokenizers.toString());
        assertTrue(new Select(browser.find("#positional")).getOptions().stream().anyMatch(o -> o.getText().equals("rope")));

        Path file = Files.writeString(Files.createTempDirectory("rill-train-page").resolve("verses.txt"),
                Files.readString(Path.of("..", "data", "tinyshakespeare.txt")).substring(20_000, 32_000));
        browser.find("#upload").sendKeys(file.toString());
        browser.await("the upload is selected", d -> ((String) browser.js("return document.getElementById('data').value")).endsWith("-verses.txt"));
        assertTrue(!browser.find("#sft").isSelected(), "a .txt is a text, not conversations");

        new Select(browser.find("#preset")).selectByValue("tiny");
        setValue("#steps", "40");
        setValue("#n-emb", "32");
        setValue("#context", "32");
        setValue("#name", "paged");
        browser.find("#start").click();
        try {
        browser.await(Duration.ofSeconds(120), "the job completes", d -> {
            String state = browser.find("#state").getAttribute("data-state");
            if ("failed".equals(state) || !browser.find("#notice").getText().isEmpty()) {
                throw new AssertionError("state " + state + ", notice: " + browser.find("#notice").getText());
            }
            return "completed".equals(state);
        });
        } catch (org.openqa.selenium.TimeoutException e) {
            browser.screenshot(Path.of("target", "screenshots", "train-timeout.png").toAbsolutePath());
            throw new AssertionError("state " + browser.find("#state").getAttribute("data-state") + " / " + browser.find("#state").getText()
                    + ", progress " + browser.find("#progress-text").getText() + ", wire " + browser.js("return JSON.stringify(window.__wire)")
                    + ", jobs " + given().header("Authorization", "Bearer " + TrainProfile.ADMIN).get("/api/train").asString(), e);
        }
        assertEquals("Done", browser.find("#state").getText());
        assertTrue(browser.findAll("#chart circle.val").size() >= 3, "validation points drawn");
        assertTrue(browser.findAll("#chart polyline.train").size() == 1, "the training curve drawn");
        assertTrue(!browser.findAll("#samples li").isEmpty(), "samples shown");
        assertTrue(browser.find("#progress-text").getText().startsWith("step 40 / 40"), browser.find("#progress-text").getText());
        given().header("Authorization", "Bearer " + TrainProfile.ADMIN).get("/api/models").then().body("name", hasItem("paged"));

        browser.screenshot(Path.of("target", "screenshots", "train-page.png").toAbsolutePath());
        WebElement chat = browser.find("#chat-with-it");
        assertEquals("Chat with paged", chat.getText());
        chat.click();
        browser.await("the chat page opens", d -> d.getCurrentUrl().contains("?model=paged"));
        String settings = (String) browser.js("return localStorage.getItem('rill.settings.v1')");
        assertTrue(settings.contains("\"model\":\"paged\""), settings);
        browser.await("the chat page links back to training", d -> !browser.findAll("#train-link").isEmpty());
        // Only the page's first requests, sent before the admin key was entered, may have failed (401).
        List<String> errors = browser.consoleErrors().stream().filter(e -> !e.contains("401")).toList();
        assertTrue(errors.isEmpty(), errors::toString);
    }

    @Test
    void stopEndsALongRun() throws Exception {
        open();
        new Select(browser.find("#data")).selectByValue(TrainProfile.TEXT);
        new Select(browser.find("#preset")).selectByValue("tiny");
        setValue("#steps", "100000");
        setValue("#name", "endless");
        browser.find("#start").click();
        browser.await(Duration.ofSeconds(60), "the job runs and reports steps",
                d -> "running".equals(browser.find("#state").getAttribute("data-state")) && browser.find("#progress-text").getText().startsWith("step ")
                        && !browser.find("#progress-text").getText().startsWith("step 0 "));
        browser.find("#stop").click();
        browser.await(Duration.ofSeconds(30), "the job stops", d -> "cancelled".equals(browser.find("#state").getAttribute("data-state")));
        assertEquals("Stopped", browser.find("#state").getText());
        assertTrue(browser.find("#start").isEnabled());
    }

    private void setValue(String css, String value) {
        browser.find(css).sendKeys(Keys.chord(Keys.CONTROL, "a"), value);
        assertEquals(value, browser.find(css).getAttribute("value"));
    }
}
