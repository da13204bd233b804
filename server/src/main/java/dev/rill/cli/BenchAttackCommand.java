package dev.rill.cli;

import dev.rill.cli.attack.Attack;
import dev.rill.cli.attack.CompressionBomb;
import dev.rill.cli.attack.DeepJson;
import dev.rill.cli.attack.DocumentedLimits;
import dev.rill.cli.attack.EarlyDisconnect;
import dev.rill.cli.attack.FairUse;
import dev.rill.cli.attack.HealthProbe;
import dev.rill.cli.attack.ManyMessages;
import dev.rill.cli.attack.Metrics;
import dev.rill.cli.attack.SlowBodies;
import dev.rill.console.Progress;
import dev.rill.console.UserErrors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code rill bench attack}: the attacks of issue 15, the same code the server's attack tests run,
 * one after the other against a running server, each while {@code /q/health/live} is probed every
 * 100 ms from another client; one table: attack, requests sent, the probes' p99, outcome.
 */
@Command(name = "attack", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs the hardening campaign (compression bomb, slow bodies, 8,000 messages, clients that leave, deep JSON,",
                "oversized frames and bodies, wrong Content-Type, one client filling the slots) against a running server,",
                "probing its health meanwhile; prints one table. Exit code 0 when every attack held, 1 otherwise."})
final class BenchAttackCommand implements Callable<Integer> {

    @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080", description = "The server to attack.")
    URI url;
    @Option(names = "--api-key", paramLabel = "KEY", description = "API key to send, when the server needs one (default: none).")
    String apiKey;
    @Option(names = "--other-api-key", paramLabel = "KEY",
            description = "A second key, for the other client of the fair-use attack (default: none; with --api-key the attack is skipped without it).")
    String otherApiKey;
    @Option(names = "--allow-remote", description = "Attack a server that is not on this machine (default: loopback addresses only).")
    boolean allowRemote;
    @Option(names = "--max-message-size", paramLabel = "BYTES", defaultValue = "65536",
            description = "The server's rill.limits.max-message-size (deep JSON over the WebSocket stays within it).")
    int maxMessageSize;
    @Option(names = "--bomb-connections", paramLabel = "N", defaultValue = "4", description = "Connections of the compression bomb.")
    int bombConnections;
    @Option(names = "--bomb-mib", paramLabel = "MIB", defaultValue = "200", description = "What each bomb frame inflates to, in MiB.")
    int bombMib;
    @Option(names = "--slow-connections", paramLabel = "N", defaultValue = "250", description = "Slow request bodies at once.")
    int slowConnections;
    @Option(names = "--slow-interval", paramLabel = "MS", defaultValue = "5000", description = "Milliseconds between the bytes of a slow body.")
    int slowIntervalMs;
    @Option(names = "--slow-hold", paramLabel = "SECONDS", defaultValue = "45",
            description = "How long the slow bodies wait for the server to end them (above its rill.limits.body-timeout).")
    int slowHoldSeconds;
    @Option(names = "--messages", paramLabel = "N", defaultValue = "8000", description = "Messages in the one-chat attack.")
    int messages;
    @Option(names = "--depth", paramLabel = "N", defaultValue = "100000", description = "JSON nesting depth.")
    int depth;
    @Option(names = "--fair-use-requests", paramLabel = "N", defaultValue = "24",
            description = "Long streamed completions one client asks for at once (above the server's per-client concurrent + queued limits).")
    int fairUseRequests;
    @Option(names = "--tokens", paramLabel = "N", defaultValue = "4096",
            description = "max_tokens of the long completions (clients that leave, fair use); within the server's rill.generation.max-tokens.")
    int tokens;
    @Option(names = "--leave-within", paramLabel = "MS", defaultValue = "500",
            description = "How soon a generation must end after its client left, as seen through /q/metrics (the server notices on the next token).")
    int leaveWithinMs;
    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600", description = "Seconds the whole campaign may take before it gives up.")
    int timeoutSeconds;

    /** An attack's line in the table. */
    record Row(String attack, long requests, double probeP99Ms, int probeFailures, boolean held, String outcome) {
    }

    @Override
    public Integer call() throws Exception {
        for (int n : new int[]{leaveWithinMs, bombConnections, bombMib, slowConnections, slowIntervalMs, slowHoldSeconds, messages, depth, fairUseRequests, tokens,
                timeoutSeconds, maxMessageSize}) {
            if (n < 1) throw new IllegalArgumentException("counts, sizes and times must be at least 1 (got " + n + ")");
        }
        if (slowConnections > 2000 || bombConnections > 64 || fairUseRequests > 256 || bombMib > 2048) {
            throw new IllegalArgumentException("at most 2000 slow connections, 64 bomb connections of 2048 MiB and 256 fair-use requests");
        }
        URI base = checkedTarget();
        Attack.Target target = Attack.Target.of(base, apiKey);
        Metrics metrics = new Metrics(base);
        List<Attack> campaign = new ArrayList<>(List.of(
                new CompressionBomb(bombConnections, (long) bombMib << 20, 30_000),
                new SlowBodies(slowConnections, slowIntervalMs, slowHoldSeconds * 1000),
                new ManyMessages(messages, 1000),
                new EarlyDisconnect(true, tokens, leaveWithinMs, () -> (int) metrics.sum("rill_generations_active"),
                        () -> (long) metrics.sum("rill_tokens_generated_total")),
                new EarlyDisconnect(false, tokens, leaveWithinMs, () -> (int) metrics.sum("rill_generations_active"),
                        () -> (long) metrics.sum("rill_tokens_generated_total")),
                new DeepJson(depth, maxMessageSize),
                new DocumentedLimits()));
        boolean fairUse = apiKey == null || otherApiKey != null;
        if (fairUse) campaign.add(new FairUse(fairUseRequests, tokens, 10_000, otherApiKey));
        System.out.printf(Locale.ROOT, "rill bench attack: %s, %d attacks, /q/health/live probed every 100 ms from another client%n", base, campaign.size());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        List<Row> rows = new ArrayList<>();
        Progress progress = Progress.console("attack");
        ExecutorService runner = Executors.newThreadPerTaskExecutor(Thread.ofPlatform().daemon().name("rill-attack").factory());
        try {
            for (Attack attack : campaign) {
                progress.update(rows.size(), campaign.size(), attack.name());
                awaitIdle(metrics, deadline);
                rows.add(run(runner, attack, target, deadline));
                if (System.nanoTime() >= deadline) break;
            }
        } finally {
            runner.shutdownNow();
            progress.clear();
        }
        if (!fairUse) rows.add(new Row("one client fills the slots", 0, Double.NaN, 0, false, "skipped: with --api-key it needs --other-api-key"));
        int planned = campaign.size() + (fairUse ? 0 : 1);
        print(rows, planned);
        return rows.stream().allMatch(Row::held) && rows.size() == planned ? 0 : 1;
    }

    /** The URL, checked: http, answering, and on this machine unless --allow-remote. */
    private URI checkedTarget() throws InterruptedException {
        if (!"http".equals(url.getScheme()) || url.getHost() == null) {
            throw new IllegalArgumentException("--url must be an http:// URL with a host (got " + url + ")");
        }
        URI base = URI.create("http://" + url.getAuthority() + "/");
        try {
            if (!allowRemote && !InetAddress.getByName(url.getHost()).isLoopbackAddress()) {
                throw new IllegalArgumentException("--url " + url + " is not on this machine; attacking another machine needs --allow-remote");
            }
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("--url: unknown host " + url.getHost());
        }
        try {
            HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("/q/health/live")).timeout(Duration.ofSeconds(10))
                    .build(), HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() != 200) throw new IllegalStateException("the server at " + base + " is not live (/q/health/live answered " + r.statusCode() + ")");
        } catch (IOException e) {
            throw new IllegalStateException("no server answers at " + base + " (start one with ./rill serve)");
        }
        return base;
    }

    /** Waits until no generation runs (an attack that measures the server must find it idle), at most 60 s. */
    private static void awaitIdle(Metrics metrics, long deadline) throws InterruptedException {
        long until = Math.min(deadline, System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
        while (metrics.sum("rill_generations_active") + metrics.sum("rill_generations_queued") > 0 && System.nanoTime() < until) Thread.sleep(50);
    }

    private static Row run(ExecutorService runner, Attack attack, Attack.Target target, long deadline) throws InterruptedException {
        Future<Attack.Result> running;
        try (HealthProbe probe = HealthProbe.live(target.base())) {
            running = runner.submit(() -> attack.run(target));
            Attack.Result result;
            try {
                result = running.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                running.cancel(true);
                result = new Attack.Result(0, false, "no result before --timeout");
            } catch (java.util.concurrent.ExecutionException e) {
                result = new Attack.Result(0, false, "the attack itself failed: " + UserErrors.message(e.getCause()));
            }
            probe.close();
            boolean held = result.held() && probe.failures() == 0;
            String outcome = probe.failures() == 0 ? result.outcome()
                    : result.outcome() + "; " + probe.failures() + " health probes failed (" + probe.lastFailure() + ")";
            return new Row(attack.name(), result.requests(), probe.percentile(99), probe.failures(), held, outcome);
        }
    }

    private static void print(List<Row> rows, int planned) {
        int width = Math.max(6, rows.stream().mapToInt(r -> r.attack().length()).max().orElse(6));
        System.out.printf(Locale.ROOT, "%-" + width + "s %9s %12s  %s%n", "attack", "requests", "health p99", "outcome");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-" + width + "s %9d %12s  %s: %s%n", r.attack(), r.requests(),
                    Double.isNaN(r.probeP99Ms()) ? "-" : String.format(Locale.ROOT, "%.0f ms", r.probeP99Ms()), r.held() ? "held" : "FAILED", r.outcome());
        }
        long held = rows.stream().filter(Row::held).count();
        System.out.printf(Locale.ROOT, "%d of %d attacks held%s%n", held, planned, rows.size() < planned ? " (the campaign ran out of time)" : "");
    }
}
