package dev.rill.server.webui;

import dev.rill.server.Server;
import dev.rill.server.TinyModelResource;
import dev.rill.server.security.SecuredProfile;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;

import java.net.URI;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat page against a server that needs an API key (SecuredProfile: key-one, key-two). */
@QuarkusTest
@TestProfile(SecuredProfile.class)
@QuarkusTestResource(TinyModelResource.class)
class ChatPageApiKeyTest {

    @TestHTTPResource("/")
    URI base;

    @Test
    void thePageAsksForTheKeyAndSendsItTheWayBrowsersCan() throws InterruptedException {
        Server.awaitReady();
        try (Browser browser = new Browser("chat-page-key")) {
            browser.driver.get(base.toString());
            browser.await("the page asks for a key", d -> browser.find("#connection-text").getText().equals("API key needed"));
            assertEquals("down", browser.find("#connection").getAttribute("data-state"));
            assertEquals("This server needs an API key. Enter it in Settings → Access.", browser.find("#notice").getText());
            assertEquals("api-key", browser.js("return document.activeElement.id"), "the key field has the focus");
            assertFalse(browser.find("#send").isEnabled());

            enterKey(browser, "wrong-key");
            browser.await("the page says the key was refused",
                    d -> browser.find("#notice").getText().equals("The API key was refused. Enter it in Settings → Access."));
            assertEquals("API key needed", browser.find("#connection-text").getText());

            // A key with characters a subprotocol cannot carry goes as the query parameter.
            enterKey(browser, "key one");
            browser.await("the page says the key was refused",
                    d -> lastSocket(browser).get("url").toString().endsWith("/ws/chat?api_key=key+one"));
            assertEquals(List.of(), lastSocket(browser).get("protocols"));

            enterKey(browser, "key-one");
            browser.await("the page connects with the key", d -> browser.find("#connection").getAttribute("data-state").equals("up")
                    && !browser.findAll("#model option").isEmpty());
            assertFalse(browser.find("#notice").isDisplayed());
            Map<String, Object> socket = lastSocket(browser);
            assertEquals(List.of("rill", "rill-key.key-one"), socket.get("protocols"));
            assertFalse(socket.get("url").toString().contains("api_key"), "a token key travels as a subprotocol, not in the URL");

            WebElement input = browser.find("#input");
            input.sendKeys("Hello");
            input.sendKeys(Keys.ENTER);
            WebElement reply = browser.await("the reply ends", d -> {
                List<WebElement> r = browser.findAll("#conversation .turn.assistant");
                return r.size() == 1 && !r.getFirst().getAttribute("data-state").equals("streaming") ? r.getFirst() : null;
            });
            assertEquals("done", reply.getAttribute("data-state"));
            // The key is kept for the next visit.
            assertTrue(browser.js("return localStorage.getItem('rill.settings.v1')").toString().contains("\"apiKey\":\"key-one\""));
        }
    }

    private static void enterKey(Browser browser, String key) {
        WebElement field = browser.find("#api-key");
        field.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        field.sendKeys(key, Keys.ENTER);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> lastSocket(Browser browser) {
        List<Map<String, Object>> opened = (List<Map<String, Object>>) browser.js("return window.__wire.opened");
        return opened.getLast();
    }
}
