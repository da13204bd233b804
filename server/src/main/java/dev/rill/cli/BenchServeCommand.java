package dev.rill.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.console.Progress;
import dev.rill.generate.BatchScheduler;
import dev.rill.generate.GeneratedToken;
import dev.rill.generate.GenerationRequest;
import dev.rill.generate.GenerationResult;
import dev.rill.generate.Generator;
import dev.rill.model.BundledModels;
import dev.rill.model.LoadedModel;
import dev.rill.plugin.PluginRegistry;
import dev.rill.sampling.SamplerChain;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.tensor.Parallel;
import io.quarkus.runtime.Quarkus;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code rill bench serve}: starts the server in this JVM on a free localhost port, streams from it
 * over real WebSocket connections (the JDK's client) and prints, for each number of concurrent
 * streams, the aggregate tokens/s, time to first token and inter-token latency (p50/p99), then the
 * engine's own time per token without the server, to show what the WebSocket path adds.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serving throughput and latency over real WebSocket streams on localhost, for 1, 4 and 16 concurrent streams,",
                "and the engine's time per token alone (the WebSocket overhead is the difference)."})
final class BenchServeCommand implements Callable<Integer> {

    @Mixin
    ModelOptions model;
    @Option(names = "--streams", split = ",", paramLabel = "N", defaultValue = "1,4,16", description = "Concurrent streams per round, comma-separated.")
    List<Integer> streams;
    @Option(names = "--tokens", paramLabel = "N", defaultValue = "100", description = "Tokens per stream (kept within the context).")
    int tokens;
    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "ROMEO:\n", showDefaultValue = CommandLine.Help.Visibility.NEVER, description = "Prompt of every stream (raw text, no chat template; default: ROMEO: and a newline).")
    String prompt;
    @Mixin
    BackendOptions backend;
    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300", description = "Seconds the whole benchmark may take before it gives up.")
    int timeoutSeconds;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_STREAMS = 64;

    /** One stream's timings (nanoTime). */
    static final class Stream {
        long sent, first, last;
        final List<Long> gaps = new ArrayList<>();
        int tokens;
        JsonNode done;
        String error;
    }

    /**
     * @param serverItlMs mean time between tokens as the server's scheduler emitted them (from its
     *                    metrics), beside {@code itlMs} as the clients received them
     */
    record Round(int streams, long tokens, double seconds, List<Double> ttftMs, List<Double> itlMs, double serverItlMs) {
        double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    @Override
    public Integer call() throws Exception {
        for (int n : streams) {
            if (n < 1 || n > MAX_STREAMS) throw new IllegalArgumentException("--streams: each count must be in 1.." + MAX_STREAMS + " (got " + n + ")");
        }
        if (tokens < 2) throw new IllegalArgumentException("--tokens must be ≥ 2 (got " + tokens + ")");
        if (prompt.isEmpty()) throw new IllegalArgumentException("--prompt must not be empty");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        PluginRegistry registry = PluginRegistry.load();
        backend.params(backend.backend(registry));   // checked before anything starts
        LoadedModel loaded = model.load(registry);
        int promptTokens = Math.min(loaded.vocabulary().encode(prompt).length, loaded.maxContext());
        if (promptTokens + tokens > loaded.maxContext()) {
            tokens = loaded.maxContext() - promptTokens;
            System.out.printf(Locale.ROOT, "(--tokens lowered to %d so that no stream outgrows the context of %d)%n", tokens, loaded.maxContext());
        }
        int most = streams.stream().mapToInt(Integer::intValue).max().orElse(1);
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        Map<String, String> props = new LinkedHashMap<>(Map.of(
                "quarkus.http.host", "127.0.0.1", "quarkus.http.port", Integer.toString(port),
                "rill.model", model.spec == null ? ModelOptions.BUNDLED + BundledModels.DEFAULT : model.spec, "rill.backend", backend.name(),
                "rill.generation.max-concurrent", Integer.toString(most), "rill.generation.queue-size", Integer.toString(most),
                "rill.generation.max-tokens", Integer.toString(Math.max(tokens, 256)),
                "quarkus.log.level", "WARN", "quarkus.log.category.\"dev.rill\".level", "WARN"));
        // Every stream comes from this one client: per-client limits must not hold any back.
        props.put("rill.limits.per-client.max-concurrent", Integer.toString(most));
        backend.given().forEach((k, v) -> props.put("rill.backend.params." + k, v.toString()));
        props.forEach(System::setProperty);
        CountDownLatch exited = new CountDownLatch(1);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread app = Thread.ofPlatform().name("rill-bench-server").start(() ->
                Quarkus.run(ServeCommand.Server.class, (code, failure) -> {
                    failed.set(failure);
                    exited.countDown();
                }));
        try {
            URI base = URI.create("http://127.0.0.1:" + port);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            awaitReady(http, base, deadline, app, failed);
            System.out.printf(Locale.ROOT, "rill bench serve: model %s (%s parameters, context %d), backend %s, %d threads, %d tokens per stream, "
                            + "prompt %d tokens, localhost WebSockets%n", loaded.name(), loaded.info().parameters(), loaded.maxContext(),
                    backend.name(), Parallel.defaultThreads(), tokens, promptTokens);
            // Warm-up, not reported: the JIT must compile the Vector API kernels and the server path first.
            Progress progress = Progress.console("round");
            int total = 4 + 2 * streams.size();
            engineMsPerToken(registry, loaded);
            progress.update(1, total, "(warm-up)");
            schedulerAlone(registry, loaded, most);
            progress.update(2, total, "(warm-up)");
            round(http, base, 1, tokens, deadline);
            progress.update(3, total, "(warm-up)");
            round(http, base, most, tokens, deadline);
            progress.update(4, total, "(warm-up)");
            List<Round> rounds = new ArrayList<>();
            Map<Integer, double[]> alone = new java.util.HashMap<>();
            for (int n : streams) {
                rounds.add(round(http, base, n, tokens, deadline));
                progress.update(4 + 2L * rounds.size() - 1, total, n + (n == 1 ? " stream" : " streams") + " over WebSockets");
                alone.put(n, schedulerAlone(registry, loaded, n));
                progress.update(4 + 2L * rounds.size(), total, n + (n == 1 ? " stream" : " streams") + " through the scheduler");
            }
            progress.clear();
            System.out.printf(Locale.ROOT, "%7s %8s %8s %10s %10s %10s %9s %9s %9s %9s %12s %10s%n", "streams", "tokens", "wall s", "agg tok/s",
                    "TTFT p50", "TTFT p99", "ITL p50", "ITL p99", "ITL mean", "srv ITL", "sched tok/s", "sched ITL");
            for (Round r : rounds) {
                double[] a = alone.get(r.streams());
                System.out.printf(Locale.ROOT, "%7d %8d %8.2f %10.1f %8.1fms %8.1fms %7.2fms %7.2fms %7.2fms %7.2fms %12.1f %8.2fms%n", r.streams(),
                        r.tokens(), r.seconds(), r.tokensPerSecond(), percentile(r.ttftMs(), 50), percentile(r.ttftMs(), 99),
                        percentile(r.itlMs(), 50), percentile(r.itlMs(), 99), mean(r.itlMs()), r.serverItlMs(), a[0], a[1]);
            }
            System.out.println("(ITL: between the tokens of one stream as its client received them; srv ITL: their mean as the server emitted them;");
            System.out.println(" sched: the same streams through the batch scheduler alone, no network, right after each round)");
            Round one = rounds.stream().filter(r -> r.streams() == 1).findFirst().orElse(null);
            Round many = rounds.stream().max((a, b) -> Integer.compare(a.streams(), b.streams())).orElseThrow();
            if (one != null && many != one) {
                System.out.printf(Locale.ROOT, "%d streams / 1 stream: %.2fx the aggregate tokens/s over WebSockets, %.2fx through the scheduler alone "
                        + "(goal for 16: >= 4x)%n", many.streams(), many.tokensPerSecond() / one.tokensPerSecond(),
                        alone.get(many.streams())[0] / alone.get(1)[0]);
            }
            if (one != null) {
                double engine = engineMsPerToken(registry, loaded);
                double ws = mean(one.itlMs());
                System.out.printf(Locale.ROOT, "one stream, mean ms/token: engine alone (Generator) %.3f, batch scheduler alone %.3f, "
                        + "over the WebSocket %.3f: the server path adds %.3f ms/token over the engine (goal <= 0.2)%n",
                        engine, alone.get(1)[1], ws, ws - engine);
            }
            return 0;
        } finally {
            Quarkus.asyncExit(0);
            exited.await(30, TimeUnit.SECONDS);
            app.join(TimeUnit.SECONDS.toMillis(5));
        }
    }

    private static void awaitReady(HttpClient http, URI base, long deadline, Thread app,
                                   AtomicReference<Throwable> failed) throws Exception {
        while (System.nanoTime() < deadline) {
            if (!app.isAlive() || failed.get() != null) {
                Throwable f = failed.get();
                while (f != null && f.getCause() != null) f = f.getCause();
                throw new IllegalStateException("the server stopped before it became ready"
                        + (f == null ? "" : ": " + f.getMessage()));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve("/q/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) return;
                if (r.body().contains("\"error\"")) throw new IllegalStateException("the server could not load the model: " + r.body());
            } catch (java.io.IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the server did not become ready before the timeout");
    }

    /** {@code n} concurrent streams of {@code tokens} tokens each, one WebSocket connection per stream. */
    private Round round(HttpClient http, URI base, int n, int tokens, long deadline) throws Exception {
        List<Stream> results = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch finished = new CountDownLatch(n);
        double[] itlBefore = serverItl(http, base);
        List<WebSocket> sockets = new ArrayList<>();
        try {
            List<Stream> mine = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Stream s = new Stream();
                mine.add(s);
                results.add(s);
                sockets.add(http.newWebSocketBuilder().buildAsync(URI.create("ws://" + base.getAuthority() + "/ws/chat"), listener(s, finished))
                        .get(30, TimeUnit.SECONDS));
            }
            for (int i = 0; i < n; i++) {
                String chat = JSON.writeValueAsString(Map.of("type", "chat", "id", "s" + i, "prompt", prompt, "max_tokens", tokens, "seed", i));
                mine.get(i).sent = System.nanoTime();
                sockets.get(i).sendText(chat, true);
            }
            long left = deadline - System.nanoTime();
            if (left <= 0 || !finished.await(left, TimeUnit.NANOSECONDS)) throw new IllegalStateException("the benchmark ran past --timeout");
        } finally {
            for (WebSocket ws : sockets) ws.sendClose(WebSocket.NORMAL_CLOSURE, "done").exceptionally(t -> null);
        }
        long start = Long.MAX_VALUE, end = 0, total = 0;
        List<Double> ttft = new ArrayList<>(), itl = new ArrayList<>();
        for (Stream s : results) {
            if (s.error != null) throw new IllegalStateException("a stream failed: " + s.error);
            start = Math.min(start, s.sent);
            end = Math.max(end, s.last);
            total += s.tokens;
            ttft.add((s.first - s.sent) / 1e6);
            for (long g : s.gaps) itl.add(g / 1e6);
        }
        double[] itlAfter = serverItl(http, base);
        double serverItl = (itlAfter[0] - itlBefore[0]) / Math.max(1, itlAfter[1] - itlBefore[1]) * 1000;
        return new Round(n, total, (end - start) / 1e9, ttft, itl, serverItl);
    }

    /** Sum (seconds) and count of the server's inter-token latency histogram, over all models. */
    private static double[] serverItl(HttpClient http, URI base) throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(base.resolve("/q/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        double sum = 0, count = 0;
        for (String line : metrics.split("\n")) {
            if (line.startsWith("rill_inter_token_latency_seconds_sum{")) sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            if (line.startsWith("rill_inter_token_latency_seconds_count{")) count += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return new double[]{sum, count};
    }

    private static WebSocket.Listener listener(Stream s, CountDownLatch finished) {
        return new WebSocket.Listener() {
            final StringBuilder buffer = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
                buffer.append(data);
                if (last) {
                    long now = System.nanoTime();
                    String frame = buffer.toString();
                    buffer.setLength(0);
                    if (frame.startsWith("{\"type\":\"token\"")) {
                        if (s.tokens++ == 0) s.first = now;
                        else s.gaps.add(now - s.last);
                        s.last = now;
                    } else if (frame.startsWith("{\"type\":\"done\"") || frame.startsWith("{\"type\":\"error\"")) {
                        try {
                            s.done = JSON.readTree(frame);
                        } catch (Exception e) {
                            s.error = frame;
                        }
                        if (frame.startsWith("{\"type\":\"error\"")) s.error = frame;
                        finished.countDown();
                    }
                }
                ws.request(1);
                return null;
            }

            @Override
            public void onError(WebSocket ws, Throwable error) {
                s.error = String.valueOf(error);
                finished.countDown();
            }
        };
    }

    /** Mean milliseconds per token of one stream in the engine's own one-at-a-time loop (3 runs). */
    private double engineMsPerToken(PluginRegistry registry, LoadedModel loaded) {
        ComputeBackend compute = backend.backend(registry);
        SamplerChain chain = SamplerChain.of(registry, SamplerChain.DEFAULT, Map.of());
        int[] p = loaded.vocabulary().encode(prompt);
        int runs = 3;
        try (ForwardPass pass = compute.prepare(loaded.weights(), backend.params(compute))) {
            Generator generator = new Generator(loaded, pass);
            double engine = 0;
            for (int i = 0; i < runs; i++) {
                GenerationResult r = generator.generateNow(new GenerationRequest(p, tokens, chain, (long) i, List.of()), t -> {
                });
                engine += 1000.0 / r.tokensPerSecond() / runs;
            }
            return engine;
        }
    }

    /**
     * {@code n} concurrent streams through the server's batch scheduler alone (no network):
     * {@code [0]} aggregate tokens/s, {@code [1]} mean milliseconds between the tokens of a stream.
     */
    private double[] schedulerAlone(PluginRegistry registry, LoadedModel loaded, int n) throws Exception {
        ComputeBackend compute = backend.backend(registry);
        SamplerChain chain = SamplerChain.of(registry, SamplerChain.DEFAULT, Map.of());
        int[] p = loaded.vocabulary().encode(prompt);
        try (ForwardPass pass = compute.prepare(loaded.weights(), backend.params(compute));
             BatchScheduler scheduler = new BatchScheduler(loaded, pass, new BatchScheduler.Settings(n, 0, 64), null)) {
            List<CompletableFuture<GenerationResult>> done = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                CompletableFuture<GenerationResult> f = new CompletableFuture<>();
                done.add(f);
                scheduler.submit(new GenerationRequest(p, tokens, chain, (long) i, List.of()), new BatchScheduler.Listener() {
                    public void onToken(GeneratedToken token) {
                    }

                    public void onDone(GenerationResult result) {
                        f.complete(result);
                    }

                    public void onError(RuntimeException error) {
                        f.completeExceptionally(error);
                    }
                });
            }
            long total = 0;
            double msPerToken = 0;
            for (CompletableFuture<GenerationResult> f : done) {
                GenerationResult r = f.get(timeoutSeconds, TimeUnit.SECONDS);
                total += r.completionTokens();
                msPerToken += 1000.0 / r.tokensPerSecond() / n;
            }
            return new double[]{total / ((System.nanoTime() - t0) / 1e9), msPerToken};
        }
    }

    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) return Double.NaN;
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }
}
