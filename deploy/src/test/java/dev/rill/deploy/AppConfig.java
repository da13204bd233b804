package dev.rill.deploy;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the deployment must agree with in the server's own configuration
 * (server/src/main/resources/application.properties), with Quarkus's documented defaults for keys it
 * does not set. {@link PodSmokeTest} checks the resulting paths against the running application.
 */
record AppConfig(Properties props) {

    static AppConfig load() {
        Path file = Repo.server().resolve("src/main/resources/application.properties");
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        return new AppConfig(p);
    }

    /** The value in the prod profile (what a container runs), else the plain key, else {@code dflt}. */
    String get(String key, String dflt) {
        String v = props.getProperty("%prod." + key, props.getProperty(key));
        return v == null ? dflt : v.trim();
    }

    /** Health and metrics answer on the management port when the management interface is on. */
    boolean management() {
        return Boolean.parseBoolean(get("quarkus.management.enabled", "false"));
    }

    int httpPort() {
        return Integer.parseInt(get("quarkus.http.port", "8080"));
    }

    /** The port the probes and metrics are served on. */
    int probePort() {
        return management() ? Integer.parseInt(get("quarkus.management.port", "9000")) : httpPort();
    }

    /** {@code /q} by default: Quarkus's root for its own endpoints. */
    private String nonApplicationRoot() {
        if (management()) return join("/", get("quarkus.management.root-path", "q"));
        return path("quarkus.http.non-application-root-path", "q", get("quarkus.http.root-path", "/"));
    }

    /** A path setting: absolute as given, else relative to {@code under}. */
    private String path(String key, String dflt, String under) {
        String p = get(key, dflt);
        return p.startsWith("/") ? p : join(under, p);
    }

    String healthRoot() {
        return path("quarkus.smallrye-health.root-path", "health", nonApplicationRoot());
    }

    String livenessPath() {
        return path("quarkus.smallrye-health.liveness-path", "live", healthRoot());
    }

    String readinessPath() {
        return path("quarkus.smallrye-health.readiness-path", "ready", healthRoot());
    }

    String startupPath() {
        return path("quarkus.smallrye-health.startup-path", "started", healthRoot());
    }

    String metricsPath() {
        return path("quarkus.micrometer.export.prometheus.path", "metrics", nonApplicationRoot());
    }

    /** How often the server pings idle WebSockets; a proxy's read timeout must be longer. */
    Duration webSocketPingInterval() {
        return duration(get("quarkus.websockets-next.server.auto-ping-interval", "0s"));
    }

    /** The largest HTTP request body the server accepts (Quarkus's default is 10M). */
    long maxBodySize() {
        return bytes(get("quarkus.http.limits.max-body-size", "10M"));
    }

    private static String join(String a, String b) {
        String s = (a.endsWith("/") ? a : a + "/") + (b.startsWith("/") ? b.substring(1) : b);
        return s.startsWith("/") ? s : "/" + s;
    }

    /** Quarkus's duration syntax: {@code 30s}, {@code 5m}, {@code 100ms}, or ISO-8601 {@code PT30S}. */
    static Duration duration(String s) {
        String v = s.trim();
        if (v.toUpperCase(Locale.ROOT).startsWith("P")) return Duration.parse(v);
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h|d)?").matcher(v);
        if (!m.matches()) throw new IllegalArgumentException("not a duration: " + s);
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        };
    }

    /** Sizes as Quarkus ({@code 1M}) and nginx ({@code 2m}) write them: binary multiples, case-insensitive. */
    static long bytes(String s) {
        Matcher m = Pattern.compile("(\\d+)([kKmMgG]?)").matcher(s.trim());
        if (!m.matches()) throw new IllegalArgumentException("not a size: " + s);
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> n << 10;
            case "m" -> n << 20;
            case "g" -> n << 30;
            default -> n;
        };
    }
}
