package dev.rill.cli.attack;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * JSON nested {@code depth} levels deep (arrays, and objects), and over-long numbers, sent over the
 * WebSocket and to {@code /v1/chat/completions}. A parser without a depth limit recurses until the
 * stack overflows, or fails with a message that names its classes. Held: every answer is the
 * documented {@code invalid_json} (WebSocket error frame, connection still open) or 400 in the
 * OpenAI error shape, and none names a Java class or holds a stack trace.
 */
public final class DeepJson implements Attack {

    /** What a Java class name, exception or stack frame looks like in a message. */
    public static final Pattern JAVA = Pattern.compile("(?i)(\\b(java|javax|jakarta|com\\.fasterxml|io\\.vertx|io\\.quarkus|dev\\.rill)\\.[a-z]"
            + "|Exception|\\bat [a-z][\\w.$]+\\(|\\.java:\\d|StreamReadConstraints|getMax\\w+\\(\\))");

    private final int depth, maxWsBytes;

    /** @param maxWsBytes the largest WebSocket message to send (the server's rill.limits.max-message-size) */
    public DeepJson(int depth, int maxWsBytes) {
        this.depth = depth;
        this.maxWsBytes = maxWsBytes;
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "JSON nested %,d deep, %,d-digit numbers", depth, 5000);
    }

    /** One bad message: what it is, and its text. */
    public record Payload(String label, String json) {
    }

    /** The bodies of the attack, each a JSON object the protocol would otherwise accept. */
    public static List<Payload> payloads(int depth) {
        String arrays = "[".repeat(depth) + "]".repeat(depth);
        String objects = "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
        String chat = "{\"type\":\"chat\",\"prompt\":\"a\",";
        return List.of(
                new Payload("stop: arrays " + depth + " deep", chat + "\"stop\":" + arrays + "}"),
                new Payload("sampling: objects " + depth + " deep", chat + "\"sampling\":" + objects + "}"),
                new Payload("messages[0].content: arrays " + depth + " deep", chat + "\"messages\":[{\"role\":\"user\",\"content\":" + arrays + "}]}"),
                new Payload("seed: 5,000 digits", chat + "\"seed\":" + "9".repeat(5000) + "}"),
                new Payload("max_tokens: 5,001 digits", chat + "\"max_tokens\":1" + "0".repeat(5000) + "}"),
                new Payload("sampling.temperature: 5,000 decimals", chat + "\"sampling\":{\"temperature\":0." + "1".repeat(5000) + "}}"),
                new Payload("the message: arrays " + depth + " deep", arrays));
    }

    @Override
    public Result run(Target target) throws Exception {
        List<String> bad = new ArrayList<>();
        int sent = 0;
        // The WebSocket: within its message size limit.
        int wsDepth = depth;
        while (wsDepth > 1 && payloads(wsDepth).stream().anyMatch(p -> p.json().length() > maxWsBytes)) wsDepth /= 2;
        try (RawSocket ws = target.connect(30_000)) {
            RawSocket.Head head = ws.upgrade(target.base(), "/ws/chat", target.authorizationHeader());
            if (head.status() != 101) return new Result(0, false, "WebSocket handshake refused: HTTP " + head.status());
            for (Payload p : payloads(wsDepth)) {
                ws.writeText(p.json());
                sent++;
                RawSocket.Frame f = ws.readFrame();
                if (f.opcode() != 1) {
                    bad.add("WebSocket: connection closed (" + f.opcode() + ") on " + p.label());
                    break;
                }
                String text = f.text();
                if (!text.contains("\"type\":\"error\"") || !(text.contains("\"code\":\"invalid_json\"") || text.contains("\"code\":\"invalid_request\""))
                        || JAVA.matcher(text).find()) {
                    bad.add("WebSocket: " + p.label() + " got " + abbreviate(text));
                }
            }
        }
        // The HTTP API.
        for (Payload p : payloads(depth)) {
            String body = p.json().replace("\"type\":\"chat\",", "");
            HttpResponse<String> r = target.attackerHttp().send(target.request("/v1/chat/completions").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            sent++;
            if (r.statusCode() != 400 || !r.body().startsWith("{\"error\":{") || JAVA.matcher(r.body()).find()) {
                bad.add("HTTP: " + p.label() + " got " + r.statusCode() + " " + abbreviate(r.body()));
            }
        }
        // The other JSON endpoints: embeddings, and training jobs (401/403 where admin keys guard them).
        String deep = payloads(depth).get(1).json().replace("\"type\":\"chat\",", "");
        for (String path : new String[]{"/v1/embeddings", "/api/train"}) {
            HttpResponse<String> r = target.attackerHttp().send(target.request(path).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(deep)).build(), HttpResponse.BodyHandlers.ofString());
            sent++;
            boolean refused = r.statusCode() == 400 || (path.startsWith("/api/train") && (r.statusCode() == 401 || r.statusCode() == 403));
            if (!refused || !r.body().startsWith("{\"error\":{") || JAVA.matcher(r.body()).find()) {
                bad.add("HTTP " + path + ": objects " + depth + " deep got " + r.statusCode() + " " + abbreviate(r.body()));
            }
        }
        return new Result(sent, bad.isEmpty(), bad.isEmpty()
                ? "every one refused as documented (WebSocket invalid_json / invalid_request, HTTP 400 on chat, embeddings and training), no class names"
                : String.join("; ", bad));
    }

    private static String abbreviate(String s) {
        return s.length() <= 160 ? s : s.substring(0, 160) + "...";
    }
}
