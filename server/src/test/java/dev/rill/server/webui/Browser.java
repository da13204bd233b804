package dev.rill.server.webui;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A real headless Chromium driven through chromedriver, both the system's (Debian's {@code chromium}
 * and {@code chromium-driver}); nothing is downloaded: the driver path is given to the service, so
 * Selenium Manager never runs. Profile, cache and config folders are fresh ones under target/, and
 * every host but localhost resolves to nothing, so the browser does not reach outside.
 *
 * <p>Before any page script runs, {@link #WIRE_TAP} wraps the page's WebSocket so tests can read the
 * frames the page sent and received (test instrumentation only; the page does not know about it).
 */
final class Browser implements AutoCloseable {

    static final Path CHROMIUM = Path.of(System.getProperty("rill.test.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("rill.test.chromedriver", "/usr/bin/chromedriver"));

    /**
     * Records the page's WebSocket traffic in {@code window.__wire}: {@code opened} (url and subprotocols
     * of each socket), {@code sent} and {@code received} frames.
     */
    static final String WIRE_TAP = """
            (() => {
              const Native = window.WebSocket;
              const wire = { opened: [], sent: [], received: [] };
              Object.defineProperty(window, '__wire', { value: wire });
              window.WebSocket = class extends Native {
                constructor(...args) {
                  super(...args);
                  wire.opened.push({ url: String(args[0]), protocols: args[1] ?? [] });
                  this.addEventListener('message', (e) => wire.received.push(JSON.parse(e.data)));
                }
                send(data) {
                  wire.sent.push(JSON.parse(data));
                  super.send(data);
                }
              };
            })();
            """;

    /** The longest a test waits for the page (see {@link #await(String, Function)}). */
    static final Duration PATIENCE = Duration.ofSeconds(45);

    final ChromeDriver driver;
    private final ChromeDriverService service;

    Browser(String name) {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            fail("the browser tests need Chromium and its driver at " + CHROMIUM + " and " + CHROMEDRIVER
                    + " (Debian: apt-get install -y chromium chromium-driver; other paths: -Drill.test.chromium=... -Drill.test.chromedriver=...)");
        }
        Path home = Path.of("target", "browser", name).toAbsolutePath();
        Path profile;
        try {
            Files.createDirectories(home);
            profile = Files.createTempDirectory(home, "profile-");
            Files.createDirectories(home.resolve("config"));
            Files.createDirectories(home.resolve("cache"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
                "--user-data-dir=" + profile, "--window-size=1280,900", "--lang=en-US");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogFile(home.resolve("chromedriver.log").toFile())
                .withEnvironment(Map.of(
                        "XDG_CONFIG_HOME", home.resolve("config").toString(),
                        "XDG_CACHE_HOME", home.resolve("cache").toString()))
                .build();
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(PATIENCE).pageLoadTimeout(PATIENCE.multipliedBy(2));
        driver.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", WIRE_TAP));
    }

    Object js(String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    WebElement find(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    List<WebElement> findAll(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    <T> T await(Duration timeout, String what, Function<WebDriver, T> condition) {
        // A condition reads the live page: an element it found may be re-rendered before it reads it (stale); the next poll finds the new one.
        return new WebDriverWait(driver, timeout, Duration.ofMillis(20)).withMessage(what)
                .ignoring(org.openqa.selenium.StaleElementReferenceException.class).until(condition::apply);
    }

    /**
     * Waits for a condition the page reaches by itself. The bound is generous: the tests share a
     * loaded machine, and a wait only takes this long when the page is broken.
     */
    <T> T await(String what, Function<WebDriver, T> condition) {
        return await(PATIENCE, what, condition);
    }

    /** Console messages (and failed loads) at SEVERE since the last call. */
    List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage).toList();
    }

    void screenshot(Path file) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Emulates a phone's viewport (touch, device pixel ratio 2) until {@link #desktop()}. */
    void phone(int width, int height) {
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride",
                Map.of("width", width, "height", height, "deviceScaleFactor", 2, "mobile", true));
        driver.executeCdpCommand("Emulation.setTouchEmulationEnabled", Map.of("enabled", true));
    }

    void desktop() {
        driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", Map.of());
        driver.executeCdpCommand("Emulation.setTouchEmulationEnabled", Map.of("enabled", false));
    }

    /** Makes the page see {@code prefers-color-scheme: dark} (or light). */
    void colorScheme(String scheme) {
        driver.executeCdpCommand("Emulation.setEmulatedMedia",
                Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", scheme))));
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
        }
    }
}
