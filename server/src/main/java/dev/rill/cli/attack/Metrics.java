package dev.rill.cli.attack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A running server's metrics as {@code /q/metrics} shows them (Prometheus text), for attacks that
 * watch the server from outside: a metric's value summed over its series (every model).
 */
public final class Metrics {

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    public Metrics(URI base) {
        this.base = base;
    }

    /** The sum of {@code name} over its series now; 0 when the server shows none. */
    public double sum(String name) {
        String text;
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/q/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new IOException("/q/metrics answered HTTP " + r.statusCode());
            text = r.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
        return sum(text, name);
    }

    /** The sum of {@code name}'s series in a Prometheus text exposition. */
    static double sum(String exposition, String name) {
        double total = 0;
        for (String line : exposition.split("\n")) {
            if (!line.startsWith(name)) continue;
            int after = name.length();
            if (line.length() <= after || (line.charAt(after) != '{' && line.charAt(after) != ' ')) continue;
            String value = line.substring(line.lastIndexOf(' ') + 1);
            total += Double.parseDouble(value);
        }
        return total;
    }
}
