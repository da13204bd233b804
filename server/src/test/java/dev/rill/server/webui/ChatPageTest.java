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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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

    /** Opens the page with empty storage (no settings, no conversations) and waits until it is connected. */
    void open(URI url) {
        browser.driver.get(url.toString());
        browser.js("localStorage.clear()");
        ((org.openqa.selenium.JavascriptExecutor) browser.driver).executeAsyncScript(
                "const done = arguments[0]; const r = indexedDB.deleteDatabase('rill'); r.onsuccess = r.onerror = r.onblocked = () => done(null);");
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
        return browser.await(Browser.PATIENCE.multipliedBy(2), "reply " + n + " ends", d -> {
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
        String facts = browser.find("#model-facts").getText();
        assertTrue(facts.contains("context 128 tokens"), facts);
        // The defaults shown are the server's, in force for every model, and how this model's chat replies end.
        assertTrue(facts.endsWith("Defaults in force for it (the server's, the same for every model): chain " + String.join(" → ", SamplerChain.DEFAULT)
                + "; temperature " + WebUiProfile.CONFIGURED_TEMPERATURE + "; max tokens 32; a chat reply ends at a blank line (Rill's plain chat format)."), facts);
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
        // Formatted, the markup is sanitised away; as raw text it is shown as the characters it is.
        assertShownAsText();
        reply.findElement(By.cssSelector(".views [data-view='text']")).click();
        assertEquals(MarkupModel.REPLY, text(reply));
        assertShownAsText();
        // The conversation is kept across a reload, and the restored reply is safe too.
        browser.driver.navigate().refresh();
        awaitConnected();
        reply = awaitReply(1);
        assertShownAsText();
        reply.findElement(By.cssSelector(".views [data-view='text']")).click();
        assertEquals(MarkupModel.REPLY, text(reply));
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
            browser.await(Browser.PATIENCE, "the page reconnects by itself",
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

    // ---- second edition: Markdown, conversations, versions, editing, the inspector, the pipeline, keyboard, axe ----

    static final String AXE = "META-INF/resources/webjars/axe-core/4.6.3/axe.min.js";
    static final String MARKDOWN = """
            Here is a table:

            | sampler | keeps |
            |---|---|
            | top-k | the k best |
            | top-p | the nucleus |

            ```java
            int next = chain.sample(logits, history, n, state);
            ```

            <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> [link](javascript:window.pwned=3)
            """;

    /** Writes an export file holding one conversation whose reply is {@code reply}, with token steps, and imports it. */
    void importConversation(String title, String reply) throws Exception {
        importConversation(title, reply, List.of(
                step(11, "Here", 0.6, List.of(List.of(11, "Here", 0.6), List.of(12, "There", 0.3), List.of(13, "Where", 0.05))),
                step(14, " is", 0.2, List.of(List.of(15, " was", 0.7), List.of(14, " is", 0.2)))));
    }

    void importConversation(String title, String reply, List<Map<String, Object>> steps) throws Exception {
        Map<String, Object> data = Map.of("format", "rill.conversations", "version", 1, "conversations", List.of(Map.of(
                "id", "imported-1", "title", title, "created", 1, "updated", 2,
                "settings", Map.of("model", "tiny", "mode", "chat"),
                "turns", List.of(Map.of("role", "user", "text", "Show me Markdown"),
                        Map.of("role", "assistant", "current", 0, "versions", List.of(Map.of("after", List.of(), "reply", Map.of(
                                "model", "tiny", "text", reply, "state", "done", "finish", "stop", "tokens", 2,
                                "chain", SamplerChain.DEFAULT, "steps", steps))))))));
        Path file = Path.of("target", "import-conversation.json").toAbsolutePath();
        Files.writeString(file, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(data));
        browser.js("document.getElementById('conv-import-file').hidden = false");
        browser.find("#conv-import-file").sendKeys(file.toString());
        browser.await("the conversation is imported", d -> browser.find("#conv-status").getText().startsWith("Imported 1 conversation"));
    }

    static Map<String, Object> step(int id, String text, double p, List<List<Object>> top) {
        return Map.of("id", id, "text", text, "logprob", Math.log(p), "top", top.stream()
                .map(c -> Map.of("id", c.get(0), "text", c.get(1), "logprob", Math.log((Double) c.get(2)))).toList());
    }

    @Test
    void markdownRendersAsElementsAndMarkupInItStaysInert() throws Exception {
        browser.consoleErrors();
        importConversation("Markdown sample", MARKDOWN);
        WebElement reply = awaitReply(1);
        // A GFM table and a highlighted code block with a copy button, as elements.
        assertEquals(List.of("sampler", "keeps"), texts("#conversation .view-formatted table th"));
        assertEquals(2, browser.findAll("#conversation .view-formatted table tbody tr").size());
        assertEquals("java", browser.find("#conversation .code-block .code-lang").getText());
        assertTrue(browser.findAll("#conversation pre code.hljs span[class^='hljs-']").size() >= 1, "no highlighted spans");
        assertEquals("Copy", browser.find("#conversation .copy-code").getText());
        // The script, the image and the javascript: link are gone; nothing ran.
        assertEquals(0L, browser.js("return document.querySelectorAll('#conversation script, #conversation img, #conversation [onerror]').length"));
        assertEquals(0L, browser.js("return [...document.querySelectorAll('#conversation a')].filter(a => (a.getAttribute('href') || '').startsWith('javascript')).length"));
        assertNull(browser.js("return window.pwned === undefined ? null : window.pwned"), "markup in the reply ran");
        browser.screenshot(SCREENSHOTS.resolve("markdown.png"));
        // The raw-text toggle shows the characters as they are.
        reply.findElement(By.cssSelector(".views [data-view='text']")).click();
        assertEquals(MARKDOWN, text(reply));
        assertTrue(text(reply).contains("<script>window.pwned = 1</script>"));
        assertEquals(0L, browser.js("return document.querySelectorAll('#conversation script, #conversation img').length"));
        browser.screenshot(SCREENSHOTS.resolve("markdown-raw.png"));
        assertEquals(List.of(), browser.consoleErrors(), "a blocked script or a load of 'x' would show here");
    }

    @Test
    void conversationsSurviveAReloadAndCanBeRenamedSearchedAndDeleted() throws Exception {
        send("First conversation");
        awaitReply(1);
        browser.find("#new-chat").click();
        assertEquals(0, replies().size());
        send("Second conversation");
        awaitReply(1);
        browser.driver.navigate().refresh();
        awaitConnected();
        browser.await("both conversations are listed", d -> browser.findAll("#conv-list .conv").size() == 2);
        assertEquals(List.of("Second conversation", "First conversation"), texts("#conv-list .conv-open"));
        assertEquals("Second conversation", browser.find("#conv-list [aria-current='true']").getText());
        assertEquals("Second conversation", text(browser.find("#conversation .turn.user")));
        // Open the other one, rename it, find it by the text of its message.
        browser.findAll("#conv-list .conv-open").get(1).click();
        assertEquals("First conversation", text(browser.find("#conversation .turn.user")));
        browser.find("#conv-list .conv [aria-label='Rename First conversation']").click();
        WebElement name = browser.find("#conv-list .conv-rename input");
        name.sendKeys(Keys.chord(Keys.CONTROL, "a"), "Renamed", Keys.ENTER);
        browser.await("the new name is listed", d -> texts("#conv-list .conv-open").contains("Renamed"));
        browser.find("#conv-search").sendKeys("second");
        assertEquals(List.of("Second conversation"), texts("#conv-list .conv-open"));
        browser.find("#conv-search").sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
        browser.screenshot(SCREENSHOTS.resolve("conversations.png"));
        browser.driver.navigate().refresh();
        awaitConnected();
        browser.await("the rename is kept", d -> Set.copyOf(texts("#conv-list .conv-open")).equals(Set.of("Renamed", "Second conversation")));
        // Delete (the page asks first).
        browser.js("window.confirm = () => true");
        browser.find("#conv-list .conv [aria-label='Delete Renamed']").click();
        browser.await("it is gone", d -> texts("#conv-list .conv-open").equals(List.of("Second conversation")));
    }

    @Test
    void regenerateKeepsBothVersionsAndEditTruncatesTheThread() {
        new Select(browser.find("#model")).selectByValue("shakespeare");
        type("#max-tokens", "40");
        send("Good morrow");
        WebElement first = awaitReply(1);
        String firstText = text(first);
        first.findElement(By.cssSelector(".actions button[aria-label='Regenerate reply']")).click();
        browser.await("the second version ends", d -> browser.findAll("#conversation .turn.assistant .versions .count").size() == 1
                && browser.find("#conversation .turn.assistant .versions .count").getText().equals("2/2")
                && !"streaming".equals(replies().getFirst().getAttribute("data-state")));
        assertEquals(1, replies().size());
        // Both requests carried the same conversation.
        List<Map<String, Object>> chats = sent().stream().filter(f -> "chat".equals(f.get("type"))).toList();
        assertEquals(chats.get(chats.size() - 2).get("messages"), chats.getLast().get("messages"));
        browser.screenshot(SCREENSHOTS.resolve("regenerate-2-versions.png"));
        browser.find("#conversation .turn.assistant .versions button[aria-label='Previous version']").click();
        assertEquals("1/2", browser.find("#conversation .turn.assistant .versions .count").getText());
        assertEquals(firstText, text(replies().getFirst()));

        // Edit the first message after a second exchange: the thread ends at the edited message's new reply.
        send("Speak on");
        awaitReply(2);
        assertEquals(2, browser.findAll("#conversation .turn.user").size());
        browser.findAll("#conversation .turn.user").getFirst().findElement(By.cssSelector("button[aria-label='Edit message and resend']")).click();
        WebElement area = browser.find("#conversation .turn.user .edit textarea");
        area.sendKeys(Keys.chord(Keys.CONTROL, "a"), "Good evening");
        browser.screenshot(SCREENSHOTS.resolve("edit-message.png"));
        area.sendKeys(Keys.ENTER);
        WebElement again = awaitReply(1);
        assertEquals("done", again.getAttribute("data-state"));
        assertEquals(1, browser.findAll("#conversation .turn.user").size());
        assertEquals(1, replies().size());
        assertEquals("Good evening", text(browser.find("#conversation .turn.user")));
        assertEquals(List.of(Map.of("role", "user", "content", "Good evening")), lastChat().get("messages"));
        browser.screenshot(SCREENSHOTS.resolve("edit-truncated.png"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theInspectorShowsTheCandidatesTheServerSentForALiveReply() {
        send("Good morrow");
        WebElement reply = awaitReply(1);
        Map<String, Object> chat = lastChat();
        assertEquals(10, ((Number) chat.get("logprobs")).intValue(), "the page asks for candidates");
        Map<String, Object> first = received((String) chat.get("id")).stream().filter(f -> "token".equals(f.get("type"))).findFirst().orElseThrow();
        List<Map<String, Object>> top = (List<Map<String, Object>>) first.get("top_logprobs");
        assertTrue(top.size() >= 2, "the server sent " + top.size() + " candidates");

        reply.findElement(By.cssSelector(".views [data-view='tokens']")).click();
        reply.findElements(By.cssSelector(".tok")).getFirst().sendKeys(Keys.ENTER);
        WebElement popover = browser.find("#inspector");
        assertTrue(popover.isDisplayed());
        List<WebElement> rows = popover.findElements(By.cssSelector("tbody tr"));
        assertEquals(top.size(), rows.size());
        // Each row is the server's candidate, in its order, with its probability; the drawn one is marked.
        for (int i = 0; i < rows.size(); i++) {
            double logprob = ((Number) top.get(i).get("logprob")).doubleValue();
            assertEquals(Math.exp(logprob), Double.parseDouble(rows.get(i).getDomAttribute("data-p")), 1e-12, "row " + i);
            boolean drawn = top.get(i).get("token_id").equals(first.get("token_id"));
            assertEquals(drawn, "drawn".equals(rows.get(i).getDomAttribute("class")), "row " + i);
        }
        browser.screenshot(SCREENSHOTS.resolve("inspector-live.png"));
    }

    @Test
    void theInspectorListsTheCandidatesOfATokenAndThePipelineShowsTheStep() throws Exception {
        importConversation("Inspector sample", "Here is");
        WebElement reply = awaitReply(1);
        reply.findElement(By.cssSelector(".views [data-view='tokens']")).click();
        List<WebElement> tokens = reply.findElements(By.cssSelector(".tok"));
        assertEquals(List.of("Here", " is"), tokens.stream().map(t -> (String) browser.js("return arguments[0].textContent", t)).toList());
        // Keyboard: focus the first token, move to the second, pin it with Enter.
        tokens.getFirst().click();
        browser.find("#inspector button").sendKeys(Keys.ESCAPE);
        assertEquals(browser.js("return document.activeElement"), tokens.getFirst());
        tokens.getFirst().sendKeys(Keys.ARROW_RIGHT);
        assertEquals(browser.js("return document.activeElement"), tokens.get(1));
        tokens.get(1).sendKeys(Keys.ENTER);
        WebElement popover = browser.find("#inspector");
        assertTrue(popover.isDisplayed());
        List<WebElement> rows = popover.findElements(By.cssSelector("tbody tr"));
        assertTrue(rows.size() >= 2, "candidates: " + rows.size());
        double sum = 0;
        for (WebElement row : rows) sum += Double.parseDouble(row.getDomAttribute("data-p"));
        assertTrue(sum <= 1.0 + 1e-9, "sum " + sum);
        List<WebElement> drawn = popover.findElements(By.cssSelector("tbody tr.drawn"));
        assertEquals(1, drawn.size());
        assertEquals("␠is", drawn.getFirst().findElement(By.cssSelector(".cand")).getText());
        assertTrue(popover.getText().contains("Sampler chain: " + String.join(" → ", SamplerChain.DEFAULT)), popover.getText());
        browser.screenshot(SCREENSHOTS.resolve("inspector.png"));
        browser.find("#inspector button").click();   // Open this step in the pipeline

        // The pipeline of that step, live from the server: the prompt, the logits, each sampler, the draw.
        WebElement dialog = browser.find("#pipeline-dialog");
        browser.await("the pipeline runs", d -> browser.find("#pipeline-status").getText().startsWith("Drew"));
        assertTrue(dialog.isDisplayed());
        List<String> stages = texts("#pipeline-body .pipe-stage h3");
        List<String> expected = new ArrayList<>(List.of("tiny: logits"));
        expected.addAll(SamplerChain.DEFAULT);
        assertEquals(expected, stages);
        // All 40 candidates top-k leaves (the default chain) are listed with top 50, so the draw is among them.
        new Select(browser.find("#pipeline-top")).selectByValue("50");
        String before = browser.find("#pipeline-status").getText();
        browser.find("#pipeline-form button[type='submit']").click();
        browser.await("it runs again with top 50", d -> ((Number) browser.js(
                "return document.querySelector('#pipeline-body .pipe-stage:last-child').querySelectorAll('.pipe-list li').length")).intValue() > 10);
        assertEquals(before, browser.find("#pipeline-status").getText(), "the same seed draws the same token");
        WebElement last = browser.findAll("#pipeline-body .pipe-stage").getLast();
        List<WebElement> entries = last.findElements(By.cssSelector(".pipe-list li"));
        assertTrue(entries.size() >= 2, "entries " + entries.size());
        double total = 0;
        for (WebElement e : entries) total += Double.parseDouble(e.getDomAttribute("data-p"));   // exact, not the rounded %
        assertTrue(total <= 1.0 + 1e-9, "sum " + total);
        assertEquals(1, last.findElements(By.cssSelector(".pipe-list li.drawn")).size(), "the drawn token is among the listed");
        // It asked for the step after the first token, with that token as the continuation.
        assertTrue(browser.findAll("#pipeline-body .chip").size() > 1);
        browser.screenshot(SCREENSHOTS.resolve("pipeline.png"));
        browser.find("#pipeline-new-seed").click();
        browser.await("it draws again", d -> browser.find("#pipeline-status").getText().startsWith("Drew"));
        browser.find("#pipeline-close").click();
        assertFalse(dialog.isDisplayed());
    }

    @Test
    void theSamplerChainReordersByDragAndDropAndFromTheKeyboard() {
        browser.find("#custom-chain").click();
        List<String> chain = new ArrayList<>(SamplerChain.DEFAULT);
        // Drag the first step onto temperature's place (HTML5 drag and drop, driven by the mouse).
        List<WebElement> steps = browser.findAll("#chain .chain-step");
        int to = chain.indexOf("temperature");
        // The whole chain in view first: the driver would scroll the panel between pressing and moving.
        browser.js("document.getElementById('chain').scrollIntoView({block: 'center'})");
        new org.openqa.selenium.interactions.Actions(browser.driver).dragAndDrop(steps.getFirst(), steps.get(to)).perform();
        chain.add(to, chain.removeFirst());
        browser.await("the drop reorders the chain", d -> texts("#chain .chain-name").equals(chain));
        assertEquals("Moved " + chain.get(to) + " to place " + (to + 1) + " of " + chain.size() + ".", browser.find("#chain-status").getText());
        browser.screenshot(SCREENSHOTS.resolve("chain-dragged.png"));

        // The keyboard: Tab from the checkbox reaches the first step's "Move down" (its "Move up" is disabled);
        // Enter and Space move the step, and the focus stays on the step's button at its new place.
        String moved = chain.getFirst();
        browser.js("document.getElementById('custom-chain').focus()");
        var keys = new org.openqa.selenium.interactions.Actions(browser.driver);
        keys.sendKeys(Keys.TAB).perform();
        assertEquals("Move down " + moved, browser.js("return document.activeElement.getAttribute('aria-label')"));
        keys.sendKeys(Keys.ENTER).perform();
        keys.sendKeys(Keys.SPACE).perform();
        chain.add(2, chain.removeFirst());
        assertEquals(chain, texts("#chain .chain-name"));
        assertEquals("Move down " + moved, browser.js("return document.activeElement.getAttribute('aria-label')"));
        assertEquals("Moved " + moved + " to place 3 of " + chain.size() + ".", browser.find("#chain-status").getText());
        keys.keyDown(Keys.SHIFT).sendKeys(Keys.TAB).keyUp(Keys.SHIFT).perform();
        assertEquals("Move up " + moved, browser.js("return document.activeElement.getAttribute('aria-label')"));
        keys.sendKeys(Keys.ENTER).perform();
        chain.add(1, chain.remove(2));
        assertEquals(chain, texts("#chain .chain-name"));
        assertNotEquals("none", browser.js("return getComputedStyle(document.activeElement).outlineStyle"));

        // The server gets the chain in that order, and runs it.
        send("Good morrow");
        assertEquals("done", awaitReply(1).getAttribute("data-state"));
        assertEquals(chain, ((Map<?, ?>) lastChat().get("sampling")).get("chain"));
        browser.driver.navigate().refresh();
        awaitConnected();
        assertEquals(chain, texts("#chain .chain-name"), "the order is kept across a reload");
    }

    @Test
    void continueGoesOnWithAChatReplyThatHitMaxTokens() {
        // Greedy, so the reply continued after 12 tokens must be the reply of 24 tokens; new lines are
        // banned, so that the reply does not end its turn (a blank line) before.
        new Select(browser.find("#model")).selectByValue("shakespeare");
        int newLine = RestAssured.given().contentType("application/json").body(Map.of("model", "shakespeare", "text", "\n"))
                .post("/api/tokenize").jsonPath().getInt("tokens[0]");
        type("#param-temperature", "0");
        type("#param-logit_bias", "{\"" + newLine + "\": \"-inf\"}");
        type("#max-tokens", "24");
        send("Good morrow, my lord");
        String whole = rawText(awaitReply(1));
        browser.find("#new-chat").click();
        type("#max-tokens", "12");
        send("Good morrow, my lord");
        WebElement head = awaitReply(1);
        assertEquals("max tokens reached", figure(head, "finish"));
        String headText = rawText(head);
        head.findElement(By.cssSelector(".actions button[aria-label='Continue reply']")).click();
        WebElement continued = awaitReply(1);
        assertEquals("done", continued.getAttribute("data-state"));
        // The server was asked to continue the assistant's turn (the model's chat format, no end of turn).
        Map<String, Object> chat = lastChat();
        assertEquals(true, chat.get("continue_final_message"));
        assertEquals(List.of(Map.of("role", "user", "content", "Good morrow, my lord"), Map.of("role", "assistant", "content", headText)),
                chat.get("messages"));
        assertEquals(whole, rawText(continued));
        // A server that started the reply again would have sent the first 12 tokens again.
        assertNotEquals(headText, whole.substring(headText.length()));
        assertEquals("24 tokens", figure(continued, "tokens"));
        assertEquals(1, replies().size());
        browser.screenshot(SCREENSHOTS.resolve("continued.png"));
    }

    /** A reply's text as the characters it is (its Raw text view). */
    String rawText(WebElement reply) {
        reply.findElement(By.cssSelector(".views [data-view='text']")).click();
        return text(reply);
    }

    @Test
    void keyboardOnlySendsAndStops() {
        browser.js("localStorage.setItem('rill.settings.v1', JSON.stringify({mode: 'complete', maxTokens: 100000}))");
        browser.driver.navigate().refresh();
        awaitConnected();
        WebElement input = browser.find("#input");
        assertEquals(input, browser.js("return document.activeElement"), "the page starts in the message field");
        new org.openqa.selenium.interactions.Actions(browser.driver).sendKeys("ROMEO:").sendKeys(Keys.chord(Keys.SHIFT, Keys.ENTER)).sendKeys(Keys.ENTER).perform();
        browser.await("the reply streams", d -> replies().size() == 1 && text(replies().getFirst()).length() > 5);
        new org.openqa.selenium.interactions.Actions(browser.driver).sendKeys(Keys.ESCAPE).perform();
        assertEquals("stopped", awaitReply(1).getAttribute("data-state"));
        // Again, stopping with Tab to the Stop button and Enter, with a visible focus ring.
        new org.openqa.selenium.interactions.Actions(browser.driver).sendKeys("JULIET:").sendKeys(Keys.ENTER).perform();
        browser.await("the reply streams", d -> replies().size() == 2 && text(replies().get(1)).length() > 5);
        new org.openqa.selenium.interactions.Actions(browser.driver).sendKeys(Keys.TAB).perform();
        assertEquals("stop", browser.js("return document.activeElement.id"));
        assertNotEquals("none", browser.js("return getComputedStyle(document.activeElement).outlineStyle"));
        browser.screenshot(SCREENSHOTS.resolve("keyboard-stop-focus.png"));
        new org.openqa.selenium.interactions.Actions(browser.driver).sendKeys(Keys.ENTER).perform();
        assertEquals("stopped", awaitReply(2).getAttribute("data-state"));
        List<Object> order = sent().stream().map(f -> f.get("type")).map(Object.class::cast).toList();
        assertEquals(List.of("chat", "cancel", "chat", "cancel"), order.subList(order.size() - 4, order.size()));
        assertEquals("input", browser.js("return document.activeElement.id"), "the focus goes back to the message field");
    }

    @Test
    void anAxeAuditFindsNoViolationsInEitherTheme() throws Exception {
        String axe;
        try (var in = ChatPageTest.class.getClassLoader().getResourceAsStream(AXE)) {
            assertNotNull(in, "axe-core's WebJar (a test dependency) is on the class path at " + AXE);
            axe = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        // Token steps of every kind the token view shows: text, a space, a quote, one held back (∅), new lines,
        // a character after the new line or tab held back before it.
        importConversation("Audit sample", MARKDOWN.replace("<script>", "").replace("</script>", ""), List.of(
                step(11, "Here", 0.6, List.of(List.of(11, "Here", 0.6))), step(3, " ", 0.5, List.of(List.of(3, " ", 0.5))),
                step(4, "\"", 0.5, List.of(List.of(4, "\"", 0.5))), step(5, "", 0.5, List.of(List.of(5, "\n", 0.5))),
                step(6, "\n\n", 0.5, List.of(List.of(6, "\n", 0.5))), step(7, "\n1", 0.5, List.of(List.of(7, "1", 0.5))),
                step(8, "\tno", 0.5, List.of(List.of(8, "no", 0.5)))));
        awaitReply(1).findElement(By.cssSelector(".views [data-view='tokens']")).click();
        type("#seed", "1");
        send("Good morrow");
        awaitReply(2);
        replies().get(1).findElement(By.cssSelector(".views [data-view='tokens']")).click();
        browser.find("#custom-chain").click();   // the chain's move and remove buttons are audited too
        List<String> report = new ArrayList<>();
        for (String scheme : List.of("light", "dark")) {
            browser.colorScheme(scheme);
            browser.js(axe);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> violations = (List<Map<String, Object>>) ((org.openqa.selenium.JavascriptExecutor) browser.driver).executeAsyncScript("""
                    const done = arguments[arguments.length - 1];
                    axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v => ({
                      id: v.id, impact: v.impact, nodes: v.nodes.length, where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))));
                    """);
            report.add(scheme + ": " + violations.size() + " violation(s) " + violations.stream().map(v -> v.get("id") + "(" + v.get("impact") + ")").toList());
            assertEquals(List.of(), violations, scheme + " theme");   // none at all: minor and moderate ones too
        }
        browser.colorScheme("light");
        System.out.println("axe-core " + browser.js("return axe.version") + " on the chat page: " + String.join("; ", report));
    }
}
