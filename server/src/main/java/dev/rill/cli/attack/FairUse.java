package dev.rill.cli.attack;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One client asks for {@code requests} long streamed completions at once ({@code maxTokens} each),
 * enough to fill every slot of the server; then another client (another address, or
 * {@code ordinaryKey}) asks for a short one. Without per-client limits the second waits until the
 * first client's generations end (minutes). Held: the first client was refused (429) beyond its
 * share, and the second was answered within {@code withinMs}.
 */
public final class FairUse implements Attack {

    private final int requests, maxTokens, withinMs;
    private final String ordinaryKey;

    /** @param ordinaryKey the other client's API key ({@code null}: the target's; it then differs by address) */
    public FairUse(int requests, int maxTokens, int withinMs, String ordinaryKey) {
        this.requests = requests;
        this.maxTokens = maxTokens;
        this.withinMs = withinMs;
        this.ordinaryKey = ordinaryKey;
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "one client asks %d x %,d tokens", requests, maxTokens);
    }

    @Override
    public Result run(Target target) throws Exception {
        List<RawSocket> streams = new ArrayList<>();
        Map<String, Integer> answers = new TreeMap<>();
        try {
            String body = "{\"prompt\":\"First\",\"max_tokens\":" + maxTokens + ",\"stream\":true,\"sampling\":{\"chain\":[\"dist\"]}}";
            for (int i = 0; i < requests; i++) {
                RawSocket s = target.connect(30_000);
                streams.add(s);
                s.write("POST /v1/completions HTTP/1.1\r\nHost: " + target.base().getHost() + "\r\n" + target.authorizationHeader()
                        + "Content-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body);
            }
            for (RawSocket s : streams) answers.merge("HTTP " + s.readHead().status(), 1, Integer::sum);
            String ordinary = SlowBodies.ordinaryCompletion(target, ordinaryKey != null ? ordinaryKey : target.apiKey());
            boolean refusedBeyondShare = answers.getOrDefault("HTTP 429", 0) > 0;
            boolean answered = ordinary.startsWith("200 in ") && Long.parseLong(ordinary.replaceAll("\\D+", " ").trim().split(" ")[1]) < withinMs;
            return new Result(requests + 1, refusedBeyondShare && answered, "the one client got " + answers + "; the other's short request: " + ordinary);
        } finally {
            for (RawSocket s : streams) s.close();   // cancels what runs
        }
    }
}
