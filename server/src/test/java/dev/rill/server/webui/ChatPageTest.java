package dev.rill.server.webui;

import dev.rill.sampling.SamplerChain;
import dev.rill.server.Server;
import dev.rill.server.TinyModelResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The chat page (web-ui) in a real headless Chromium against the running server: streaming, Stop,
 * settings, determinism, output shown as text, errors, reconnecting, and screenshots under
 * target/screenshots/.
 */
@QuarkusTest
@TestProfile(WebUiProfile.class)
@QuarkusTestResource(TinyModelResource.class)
class ChatPageTest {

    static final Path SCREENSHOTS = Path.of("target", "screenshots").toAbsolutePath();

    @TestHTTPResource("/")
    URI base;

    static Browser browser;

    @BeforeAll
    static void startBrowser() {
        browser = new Browser("chat-page");
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) browser.close();
    }

    @BeforeEach
    void freshPage() throws InterruptedException {
        Server.awaitReady();
        open(base);
    }

    /** Opens the page with empty storage (no settings, no conversation) and waits until it is connected. */
    void open(URI url) {
        browser.driver.get(url.toString());
        browser.js("localStorage.clear()");
        browser.driver.get(url.toString());
        awaitConnected();
    }

    void awaitConnected() {
        browser.await("the page connects and lists the models",
                d -> browser.find("#connection").getAttribute("data-state").equals("up") && !browser.findAll("#model option").isEmpty());
    }

    // ---- helpers ----

    /** Types a message and presses Enter; the lines of {@code text} are separated with Shift+Enter. */
    void send(String text) {
        WebElement input = browser.find("#input");
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (i > 0) input.sendKeys(Keys.chord(Keys.SHIFT, Keys.ENTER));
            if (!lines[i].isEmpty()) input.sendKeys(lines[i]);
        }
        input.sendKeys(Keys.ENTER);
    }

    List<WebElement> replies() {
        return browser.findAll("#conversation .turn.assistant");
    }

    /** Waits for reply {@code n} (1-based) to end and returns it. */
    WebElement awaitReply(int n) {
        return browser.await(Duration.ofSeconds(30), "reply " + n + " ends", d -> {
            List<WebElement> r = replies();
            return r.size() >= n && !r.get(n - 1).getAttribute("data-state").equals("streaming") ? r.get(n - 1) : null;
        });
    }

    String text(WebElement turn) {
        return (String) browser.js("return arguments[0].querySelector('.text').textContent", turn);
    }

    String figure(WebElement turn, String field) {
        return turn.findElement(By.cssSelector(".meta [data-field='" + field + "'] .value")).getText();
    }

    /** Types into a field as a person does: select all, type, leave the field. */
    void type(String css, String value) {
        WebElement e = browser.find(css);
        e.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        if (!value.isEmpty()) e.sendKeys(value);
        e.sendKeys(Keys.TAB);
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> sent() {
        return (List<Map<String, Object>>) browser.js("return window.__wire.sent");
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> received(String id) {
        List<Map<String, Object>> all = (List<Map<String, Object>>) browser.js("return window.__wire.received");
        return all.stream().filter(f -> id.equals(f.get("id"))).toList();
    }

    Map<String, Object> lastChat() {
        List<Map<String, Object>> chats = sent().stream().filter(f -> "chat".equals(f.get("type"))).toList();
        assertFalse(chats.isEmpty(), "the page sent no chat");
        return chats.getLast();
    }

    static Map<String, Object> lastOfType(List<Map<String, Object>> frames, String type) {
        return frames.stream().filter(f -> type.equals(f.get("type"))).reduce((a, b) -> b).orElse(null);
    }

    /** The temperature's range as the server declares it, e.g. {@code [0, 10]}. */
    static String temperatureRange() {
        return RestAssured.get("/api/plugins").jsonPath().getString("sampler.find { it.name == 'temperature' }.parameters.find { it.name == 'temperature' }.range");
    }

    List<String> texts(String css) {
        return browser.findAll(css).stream().map(WebElement::getText).toList();
    }

    // ---- tests ----

    @Test
    void thePageLoadsWithoutConsoleErrorsAndListsModelsAndSamplers() {
        browser.consoleErrors();
        browser.driver.navigate().refresh();
        awaitConnected();

        List<String> models = texts("#model option");
        assertEquals("tiny (default)", models.getFirst(), "the default model comes first");
        assertEquals(Set.of("tiny (default)", "shakespeare", "markup"), Set.copyOf(models));
        assertEquals("tiny", browser.find("#model-chip-name").getText());
        assertEquals("Chat with tiny", browser.find("#welcome-title").getText());
        assertTrue(browser.find("#model-facts").getText().contains("context 128 tokens"), browser.find("#model-facts").getText());
        // The settings panel is open on a wide window and shows the server's chain and configured values.
        assertTrue(browser.find("#settings").isDisplayed());
        assertEquals(SamplerChain.DEFAULT, texts("#chain .chain-name"));
        WebElement temperature = browser.find("#param-temperature");
        assertEquals(Double.toString(WebUiProfile.CONFIGURED_TEMPERATURE), temperature.getDomProperty("value"));
        String hint = browser.find("#param-temperature-hint").getText();
        assertTrue(hint.contains("range " + temperatureRange()) && hint.contains("default 0.9"), hint);
        assertEquals("32", browser.find("#max-tokens").getDomProperty("value"));
        assertEquals("100000", browser.find("#max-tokens").getDomAttribute("max"));
        assertEquals("", browser.find("#seed").getDomProperty("value"));
        // Ticking "choose the chain" offers every other sampler the server has.
        browser.find("#custom-chain").click();
        List<String> samplers = RestAssured.get("/api/plugins").jsonPath().getList("sampler.name");
        List<String> offered = new ArrayList<>(samplers);
        offered.removeAll(SamplerChain.DEFAULT);
        assertEquals(Set.copyOf(offered), Set.copyOf(browser.findAll("#chain-add option").stream().map(o -> o.getDomAttribute("value")).toList()));
        // Every control has an accessible name.
        Object unlabelled = browser.js("""
                return [...document.querySelectorAll('input, select, textarea, button')]
                  .filter(e => e.offsetParent !== null || e.type === 'radio')
                  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim() && !e.title)
                  .map(e => e.outerHTML)""");
        assertEquals(List.of(), unlabelled);
        assertEquals(List.of(), browser.consoleErrors());
    }

    @Test
    void aReplyAppearsTokenByTokenWithItsFigures() {
        // Continue text: no stop string, so the reply runs to max tokens and spans many frames.
        browser.find("label[for='mode-complete']").click();
        type("#seed", "7");
        type("#max-tokens", "300");
        browser.js("""
                window.__states = [];
                new MutationObserver(() => {
                  const turn = [...document.querySelectorAll('#conversation .turn.assistant')].pop();
                  if (!turn) return;
                  const text = turn.querySelector('.text').textContent;
                  const last = window.__states[window.__states.length - 1];
                  if (!last || last.text !== text || last.state !== turn.dataset.state) window.__states.push({text, state: turn.dataset.state});
                }).observe(document.getElementById('conversation'), {subtree: true, childList: true, characterData: true, attributes: true});
                """);
        WebElement input = browser.find("#input");
        input.sendKeys("Good morrow");
        input.sendKeys(Keys.chord(Keys.SHIFT, Keys.ENTER));
        input.sendKeys("sir");
        input.sendKeys(Keys.ENTER);

        WebElement reply = awaitReply(1);
        assertEquals("done", reply.getAttribute("data-state"));
        String text = text(reply);

        // Shift+Enter made a new line, Enter sent; the settings went with the request.
        Map<String, Object> chat = lastChat();
        assertEquals("Good morrow\nsir", chat.get("prompt"));
        assertNull(chat.get("messages"));
        assertEquals(7L, chat.get("seed"));
        assertEquals(300L, chat.get("max_tokens"));
        assertNull(chat.get("sampling"), "untouched sampling settings are the server's and are not sent");
        assertEquals("", input.getDomProperty("value"));

        // The page showed the reply growing: distinct partial texts while streaming, each a prefix of the final text.
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> states = (List<Map<String, Object>>) browser.js("return window.__states");
        Set<String> partial = new HashSet<>();
        for (Map<String, Object> s : states) {
            String t = (String) s.get("text");
            if ("streaming".equals(s.get("state")) && !t.isEmpty() && !t.equals(text)) {
                assertTrue(text.startsWith(t), "partial state '" + t + "' is not a prefix of '" + text + "'");
                partial.add(t);
            }
        }
        assertTrue(partial.size() >= 2, "partial states seen: " + partial);

        // What is shown is what the server sent, and the figures are the server's.
        List<Map<String, Object>> frames = received((String) chat.get("id"));
        StringBuilder tokens = new StringBuilder();
        frames.stream().filter(f -> "token".equals(f.get("type"))).forEach(f -> tokens.append(f.get("text")));
        assertEquals(tokens.toString(), text);
        @SuppressWarnings("unchecked")
        Map<String, Object> done = lastOfType(frames, "done");
        @SuppressWarnings("unchecked")
        long completion = ((Number) ((Map<String, Object>) done.get("usage")).get("completion_tokens")).longValue();
        assertEquals(completion + " tokens", figure(reply, "tokens"));
        assertEquals("length", done.get("finish_reason"));
        assertEquals(300L, completion);
        assertEquals("max tokens reached", figure(reply, "finish"));
        assertTrue(figure(reply, "ttft").matches("[0-9.]+ m?s"), figure(reply, "ttft"));
        assertTrue(figure(reply, "speed").matches("[0-9.,]+ tokens/s"), figure(reply, "speed"));
        assertEquals("Send", browser.find("#send").getText());
        assertTrue(browser.find("#send").isDisplayed() && !browser.find("#stop").isDisplayed());
    }

    @Test
    void stopEndsALongReplyEarlyAndSaysSo() throws InterruptedException {
        browser.find("label[for='mode-complete']").click();
        type("#max-tokens", "100000");
        double cancelledBefore = Server.metric("rill_requests_total", "outcome=\"cancelled\"");
        send("ROMEO:\n");
        browser.await("the reply starts", d -> replies().size() == 1 && text(replies().getFirst()).length() >= 5);
        assertTrue(browser.find("#stop").isDisplayed());
        assertFalse(browser.find("#send").isDisplayed());
        browser.find("#stop").click();

        WebElement reply = awaitReply(1);
        assertEquals("stopped", reply.getAttribute("data-state"));
        assertEquals("stopped", figure(reply, "finish"));
        String id = (String) lastChat().get("id");
        assertEquals("ROMEO:\n", lastChat().get("prompt"));
        assertEquals(Map.of("type", "cancel", "id", id), sent().getLast());
        Map<String, Object> done = lastOfType(received(id), "done");
        assertEquals("cancelled", done.get("finish_reason"));
        @SuppressWarnings("unchecked")
        long n = ((Number) ((Map<String, Object>) done.get("usage")).get("completion_tokens")).longValue();
        assertTrue(n < 100_000, "stopped after " + n + " tokens");
        assertEquals(n + " tokens", figure(reply, "tokens"));
        Server.awaitMetric("rill_requests_total", "outcome=\"cancelled\"", cancelledBefore + 1);
        assertTrue(browser.find("#send").isDisplayed());

        // New chat during a reply cancels it; a message sent at once waits for that and then runs.
        send("ROMEO:\n");
        browser.await("the next reply starts", d -> replies().size() == 2 && text(replies().get(1)).length() >= 5);
        String cancelledId = (String) lastChat().get("id");
        browser.find("#new-chat").click();
        assertEquals(0, replies().size());
        send("JULIET:\n");
        browser.await("the reply after New chat starts", d -> replies().size() == 1 && text(replies().getFirst()).length() >= 5);
        browser.find("#stop").click();
        assertEquals("stopped", awaitReply(1).getAttribute("data-state"));
        List<Object> order = sent().stream().map(f -> f.get("type") + ":" + f.get("id")).map(Object.class::cast).toList();
        String newId = (String) lastChat().get("id");
        assertEquals(List.of("chat:" + cancelledId, "cancel:" + cancelledId, "chat:" + newId, "cancel:" + newId),
                order.subList(order.size() - 4, order.size()));
        assertEquals("cancelled", lastOfType(received(cancelledId), "done").get("finish_reason"));
        assertTrue(received(newId).stream().noneMatch(f -> "error".equals(f.get("type"))), "the server answered busy");
        Server.awaitMetric("rill_requests_total", "outcome=\"cancelled\"", cancelledBefore + 3);
    }

    @Test
    void greedyAndAFixedSeedGiveTheSameReplyTwice() {
        new Select(browser.find("#model")).selectByValue("shakespeare");
        type("#param-temperature", "0");
        List<String> greedy = twice("To be, or not to be");
        assertEquals(0L, ((Number) ((Map<?, ?>) lastChat().get("sampling")).get("temperature")).longValue());
        assertFalse(greedy.getFirst().isEmpty());
        assertEquals(greedy.get(0), greedy.get(1));

        browser.find(".field[data-param='temperature'] .reset").click();
        type("#seed", "11");
        List<String> seeded = twice("Good morrow");
        assertEquals(seeded.get(0), seeded.get(1));
        assertNull(lastChat().get("sampling"));
        type("#seed", "12");
        List<String> other = twice("Good morrow");
        // Another seed draws other characters: the same reply would mean the seed is not used.
        assertNotEquals(seeded.getFirst(), other.getFirst());
    }

    /** The reply to {@code prompt} in two new chats. */
    List<String> twice(String prompt) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            browser.find("#new-chat").click();
            send(prompt);
            WebElement reply = awaitReply(1);
            assertEquals("done", reply.getAttribute("data-state"));
            out.add(text(reply));
        }
        return out;
    }

    @Test
    void modelOutputIsShownAsTextAndRunsNothing() {
        browser.consoleErrors();
        new Select(browser.find("#model")).selectByValue(MarkupModel.NAME);
        type("#param-temperature", "0");
        type("#max-tokens", "200");
        assertEquals(MarkupModel.NAME, browser.find("#model-chip-name").getText());
        send(MarkupModel.PROMPT);
        WebElement reply = awaitReply(1);
        assertEquals(MarkupModel.NAME, lastChat().get("model"));
        assertEquals(MarkupModel.REPLY, text(reply));
        assertShownAsText();
        // The conversation is kept across a reload, and the restored reply is text too.
        browser.driver.navigate().refresh();
        awaitConnected();
        assertEquals(MarkupModel.REPLY, text(awaitReply(1)));
        assertShownAsText();
    }

    private void assertShownAsText() {
        assertEquals(0L, browser.js("return document.querySelectorAll('#conversation img, #conversation script').length"));
        assertNull(browser.js("return window.pwned === undefined ? null : window.pwned"), "the model's markup ran");
        assertEquals(List.of(), browser.consoleErrors(), "a blocked script or a load of 'x' would show here");
    }

    @Test
    void serverErrorsAreShownInPlainWordsAndLeaveTheHistory() {
        // The step that picks the token moved up from last place: the server refuses such a chain.
        browser.find("#custom-chain").click();
        List<String> chain = new ArrayList<>(SamplerChain.DEFAULT);
        browser.find("button[aria-label='Move up " + chain.getLast() + "']").click();
        String last = chain.removeLast();
        chain.add(chain.size() - 1, last);
        assertEquals(chain, texts("#chain .chain-name"));
        send("Hello there");
        WebElement failed = awaitReply(1);
        assertEquals("error", failed.getAttribute("data-state"));
        WebElement note = failed.findElement(By.cssSelector(".note"));
        assertEquals("alert", note.getDomAttribute("role"));
        assertTrue(note.getText().startsWith("The server did not accept the setting “Sampler chain”: "), note.getText());
        assertTrue(note.getText().contains("must come last"), note.getText());
        assertEquals("failed", figure(failed, "finish"));
        assertTrue(browser.find("#send").isDisplayed());

        // Back to the server's chain: the next request works and does not carry the failed reply.
        browser.find("#custom-chain").click();
        send("Hello again");
        assertEquals("done", awaitReply(2).getAttribute("data-state"));
        assertEquals(List.of(Map.of("role", "user", "content", "Hello there"), Map.of("role", "user", "content", "Hello again")),
                lastChat().get("messages"));
    }

    @Test
    void settingsPersistAcrossReloadsAndGoWithEachRequest() {
        type("#param-temperature", "0.3");
        type("#max-tokens", "40");
        type("#seed", "5");
        type("#system", "Speak plainly.");
        type("#param-temperature", "abc");   // not accepted: the stored value stays
        assertTrue(browser.find("#param-temperature-hint").getText().contains("range " + temperatureRange()));
        browser.driver.navigate().refresh();
        awaitConnected();
        assertEquals("0.3", browser.find("#param-temperature").getDomProperty("value"));
        assertEquals("40", browser.find("#max-tokens").getDomProperty("value"));
        assertEquals("5", browser.find("#seed").getDomProperty("value"));
        assertEquals("Speak plainly.", browser.find("#system").getDomProperty("value"));

        send("Who goes there?");
        awaitReply(1);
        Map<String, Object> chat = lastChat();
        assertEquals(Map.of("temperature", 0.3), chat.get("sampling"));
        assertEquals(40L, chat.get("max_tokens"));
        assertEquals(5L, chat.get("seed"));
        assertEquals(List.of(Map.of("role", "system", "content", "Speak plainly."), Map.of("role", "user", "content", "Who goes there?")),
                chat.get("messages"));

        // An out-of-range value is refused on the page, with the range.
        browser.find("#param-temperature").sendKeys(Keys.chord(Keys.CONTROL, "a"), "11");
        assertEquals("true", browser.find("#param-temperature").getDomAttribute("aria-invalid"));
        assertEquals("Not accepted: must be in " + temperatureRange() + ".", browser.find("#param-temperature-hint").getText());
        browser.find("#param-temperature").sendKeys(Keys.TAB);
        assertEquals("0.3", browser.find("#param-temperature").getDomProperty("value"));

        browser.find("#reset-settings").click();
        assertEquals("0.9", browser.find("#param-temperature").getDomProperty("value"));
        assertEquals("32", browser.find("#max-tokens").getDomProperty("value"));
        assertEquals("", browser.find("#seed").getDomProperty("value"));
        browser.find("#new-chat").click();
        send("And now?");
        awaitReply(1);
        chat = lastChat();
        assertNull(chat.get("sampling"));
        assertNull(chat.get("max_tokens"));
        assertNull(chat.get("seed"));
        assertEquals(List.of(Map.of("role", "user", "content", "And now?")), chat.get("messages"));
    }

    @Test
    void theConnectionStateIsShownAndThePageReconnectsWhenTheServerIsBack() {
        try (TcpRelay relay = new TcpRelay(base.getPort())) {
            relay.up();
            URI viaRelay = URI.create("http://localhost:" + relay.port() + "/");
            open(viaRelay);
            assertEquals("Connected", browser.find("#connection-text").getText());
            browser.find("label[for='mode-complete']").click();
            type("#max-tokens", "100000");
            send("JULIET:\n");
            browser.await("the reply starts", d -> replies().size() == 1 && !text(replies().getFirst()).isEmpty());

            relay.down();   // the server goes away mid-reply
            WebElement cut = awaitReply(1);
            assertEquals("interrupted", cut.getAttribute("data-state"));
            assertEquals("interrupted: the connection to the server was lost", figure(cut, "finish"));
            browser.await("the page says it is disconnected", d -> browser.find("#connection").getAttribute("data-state").equals("down"));
            assertTrue(browser.find("#connection-text").getText().startsWith("Disconnected"), browser.find("#connection-text").getText());
            assertFalse(browser.find("#send").isEnabled());
            assertFalse(browser.find("#composer-hint").getText().isEmpty());

            relay.up();     // and comes back
            browser.await(Duration.ofSeconds(20), "the page reconnects by itself",
                    d -> browser.find("#connection").getAttribute("data-state").equals("up"));
            assertEquals("Connected", browser.find("#connection-text").getText());
            type("#max-tokens", "20");
            send("ROMEO:\n");
            assertEquals("length", lastOfType(received((String) awaitChatDone()), "done").get("finish_reason"));
            assertEquals("done", awaitReply(2).getAttribute("data-state"));
        } finally {
            open(base);
        }
    }

    private Object awaitChatDone() {
        WebElement reply = awaitReply(replies().size());
        assertEquals("done", reply.getAttribute("data-state"));
        return lastChat().get("id");
    }

    @Test
    void screenshotsOfAFinishedConversationOnADesktopAndAPhone() throws Exception {
        new Select(browser.find("#model")).selectByValue("shakespeare");
        type("#seed", "3");
        type("#max-tokens", "200");
        send("Good morrow, my lord! What news from Verona?");
        assertEquals("done", awaitReply(1).getAttribute("data-state"));
        send("Speak on, I pray thee.");
        assertEquals("done", awaitReply(2).getAttribute("data-state"));

        browser.js("document.querySelector('.settings-body').scrollTop = 0");
        Path desktop = SCREENSHOTS.resolve("chat-desktop.png");
        browser.screenshot(desktop);
        browser.colorScheme("dark");
        browser.screenshot(SCREENSHOTS.resolve("chat-desktop-dark.png"));
        assertEquals("rgb(18, 20, 23)", browser.js("return getComputedStyle(document.body).backgroundColor"));
        browser.colorScheme("light");
        assertEquals("rgb(245, 245, 242)", browser.js("return getComputedStyle(document.body).backgroundColor"));

        try {
            browser.phone(390, 844);
            browser.driver.navigate().refresh();
            awaitConnected();
            // A phone starts with the settings closed, and nothing is wider than the screen.
            assertFalse(browser.find("#settings").isDisplayed());
            assertEquals(390L, browser.js("return document.documentElement.scrollWidth"));
            assertTrue(browser.find("#send").isDisplayed() && browser.find("#input").isDisplayed());
            assertEquals(2, replies().size());
            browser.js("document.getElementById('conversation').scrollTop = 1e9");
            Path phone = SCREENSHOTS.resolve("chat-phone.png");
            browser.screenshot(phone);
            browser.find("#settings-toggle").click();
            assertTrue(browser.find("#settings").isDisplayed());
            assertEquals(390L, browser.js("return Math.round(document.getElementById('settings').getBoundingClientRect().width)"));
            browser.screenshot(SCREENSHOTS.resolve("chat-phone-settings.png"));
            browser.find("#settings-close").click();
            assertFalse(browser.find("#settings").isDisplayed());
            assertTrue(Files.size(phone) > 10_000 && Files.size(desktop) > 10_000);
        } finally {
            browser.desktop();
        }
    }
}
