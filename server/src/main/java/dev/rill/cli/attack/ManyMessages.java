package dev.rill.cli.attack;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;

/**
 * A conversation of {@code count} one-letter messages, far more than fit the context: a server that
 * re-encodes the whole conversation for every turn it drops spends seconds of CPU (quadratic) before
 * any queue limit applies. Held: answered, or refused with {@code invalid_request} naming
 * {@code messages}, within {@code withinMs}.
 */
public final class ManyMessages implements Attack {

    private final int count, withinMs;
    private long lastMillis;

    public ManyMessages(int count, int withinMs) {
        this.count = count;
        this.withinMs = withinMs;
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "%,d one-letter messages in one chat", count);
    }

    /** How long the last run's request took, in ms. */
    public long lastMillis() {
        return lastMillis;
    }

    public static String body(int count) {
        StringBuilder sb = new StringBuilder("{\"max_tokens\":1,\"messages\":[");
        for (int i = 0; i < count; i++) {
            if (i > 0) sb.append(',');
            sb.append("{\"role\":\"").append(i % 2 == 0 ? "user" : "assistant").append("\",\"content\":\"a\"}");
        }
        return sb.append("]}").toString();
    }

    @Override
    public Result run(Target target) throws Exception {
        HttpRequest req = target.request("/v1/chat/completions").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body(count))).build();
        long t0 = System.nanoTime();
        HttpResponse<String> r = target.attackerHttp().send(req, HttpResponse.BodyHandlers.ofString());
        lastMillis = (System.nanoTime() - t0) / 1_000_000;
        boolean refusedAsDocumented = r.statusCode() == 400 && r.body().contains("\"param\":\"messages\"");
        String outcome = "HTTP " + r.statusCode() + " in " + lastMillis + " ms" + (refusedAsDocumented ? " (messages: " + message(r.body()) + ")" : "");
        return new Result(1, (r.statusCode() == 200 || refusedAsDocumented) && lastMillis < withinMs, outcome);
    }

    static String message(String errorBody) {
        int i = errorBody.indexOf("\"message\":\"");
        if (i < 0) return "";
        int j = errorBody.indexOf('"', i + 11);
        return j < 0 ? "" : errorBody.substring(i + 11, j);
    }
}
