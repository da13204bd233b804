package dev.rill.cli.attack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * A client that asks for a long completion and leaves after its first token (streamed: when it
 * reads it; not streamed: when the server's token count moves), closing the connection. The server must notice at once, on
 * every token, and cancel the generation: a generation that runs on for nobody holds a slot and
 * the CPU. Measured: from the close to the moment no generation runs ({@code active}: the
 * {@code rill_generations_active} gauge). Held: within {@code withinMs}.
 */
public final class EarlyDisconnect implements Attack {

    private final boolean stream;
    private final int maxTokens, withinMs;
    private final IntSupplier active;
    private final LongSupplier tokens;
    private double lastMillis = Double.NaN;
    private long lastTokens = -1;

    /**
     * @param active the generations running on the server now (nothing else may run during the attack)
     * @param tokens the tokens the server has generated so far
     */
    public EarlyDisconnect(boolean stream, int maxTokens, int withinMs, IntSupplier active, LongSupplier tokens) {
        this.stream = stream;
        this.maxTokens = maxTokens;
        this.withinMs = withinMs;
        this.active = active;
        this.tokens = tokens;
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "client leaves a %s completion of %,d tokens", stream ? "streamed" : "non-streamed", maxTokens);
    }

    /** From the client's close to no generation running, in the last run (ms). */
    public double lastMillis() {
        return lastMillis;
    }

    /** Tokens generated from the client's close to the end of its generation, in the last run. */
    public long lastTokens() {
        return lastTokens;
    }

    @Override
    public Result run(Target target) throws Exception {
        String body = "{\"prompt\":\"First\",\"max_tokens\":" + maxTokens + ",\"stream\":" + stream + ",\"sampling\":{\"chain\":[\"dist\"]}}";
        long closed, tokensAtClose, tokensBefore = tokens.getAsLong();
        try (RawSocket s = target.connect(30_000)) {
            s.write("POST /v1/completions HTTP/1.1\r\nHost: " + target.base().getHost() + "\r\n" + target.authorizationHeader()
                    + "Content-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body);
            if (stream) {
                RawSocket.Head head = s.readHead();
                if (head.status() != 200) return new Result(1, false, "HTTP " + head.status());
                awaitToken(s);
            } else {
                long until = System.nanoTime() + 30_000_000_000L;
                while (tokens.getAsLong() == tokensBefore) {
                    if (System.nanoTime() > until) return new Result(1, false, "no token within 30 s");
                    Thread.sleep(1);
                }
            }
            closed = System.nanoTime();
            tokensAtClose = tokens.getAsLong();
        }
        long until = closed + 60_000_000_000L;
        while (active.getAsInt() > 0) {
            if (System.nanoTime() > until) return new Result(1, false, "the generation still ran 60 s after the client left");
            Thread.sleep(1);
        }
        lastMillis = (System.nanoTime() - closed) / 1e6;
        lastTokens = tokens.getAsLong() - tokensAtClose;
        return new Result(1, lastMillis < withinMs, String.format(Locale.ROOT, "generation ended %.0f ms (%d token%s) after the client left",
                lastMillis, lastTokens, lastTokens == 1 ? "" : "s"));
    }

    /** Reads the event stream until its first data event. */
    private static void awaitToken(RawSocket s) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int b; (b = s.read()) >= 0; ) {
            if (b == '\n') {
                if (line.indexOf("data: {") >= 0) return;
                line.setLength(0);
            } else {
                line.append((char) b);
            }
        }
        throw new IOException("the stream ended before its first token");
    }
}
