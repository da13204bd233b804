package dev.rill.cli.attack;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Asks a health endpoint every {@code intervalMs} on a fresh connection, as a Kubernetes probe does,
 * while an attack runs, and keeps how long each answer took. A probe that gets no answer within
 * {@code timeoutMs} counts as a failure with that time.
 */
public final class HealthProbe implements AutoCloseable {

    private final URI base;
    private final String path;
    private final int intervalMs, timeoutMs;
    private final List<Double> millis = Collections.synchronizedList(new ArrayList<>());
    private volatile int failures;
    private volatile String lastFailure;
    private volatile boolean running = true;
    private final Thread thread;

    public HealthProbe(URI base, String path, int intervalMs, int timeoutMs) {
        this.base = base;
        this.path = path;
        this.intervalMs = intervalMs;
        this.timeoutMs = timeoutMs;
        probe();   // the endpoint's first answer (class loading, JIT) is not part of any attack
        this.thread = Thread.ofPlatform().daemon().name("rill-health-probe").start(this::loop);
    }

    /** {@code /q/health/live} every 100 ms, 5 s timeout. */
    public static HealthProbe live(URI base) {
        return new HealthProbe(base, "/q/health/live", 100, 5000);
    }

    private void loop() {
        while (running) {
            long start = System.nanoTime();
            String failure = probe();
            if (failure != null) {
                failures++;
                lastFailure = failure;
            }
            millis.add((System.nanoTime() - start) / 1e6);
            long left = TimeUnit.MILLISECONDS.toNanos(intervalMs) - (System.nanoTime() - start);
            if (left > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(left);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** One probe: {@code null} when it answered 200, else what went wrong. */
    private String probe() {
        try (RawSocket s = new RawSocket(base, timeoutMs)) {
            s.write("GET " + path + " HTTP/1.1\r\nHost: " + base.getHost() + "\r\nConnection: close\r\n\r\n");
            RawSocket.Head head = s.readHead();
            return head.status() == 200 ? null : "HTTP " + head.status();
        } catch (IOException e) {
            return e.getMessage();
        }
    }

    /** Stops probing (after the probe under way). */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(timeoutMs + 1000L);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public int probes() {
        return millis.size();
    }

    public int failures() {
        return failures;
    }

    public String lastFailure() {
        return lastFailure;
    }

    /** The {@code p}-th percentile of the answer times, in ms (NaN before the first probe). */
    public double percentile(double p) {
        List<Double> sorted;
        synchronized (millis) {
            sorted = new ArrayList<>(millis);
        }
        if (sorted.isEmpty()) return Double.NaN;
        Collections.sort(sorted);
        int i = (int) Math.ceil(p / 100 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    public double max() {
        return percentile(100);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%d probes of %s, p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms, %d failed%s", probes(), path,
                percentile(50), percentile(90), percentile(99), max(),
                failures, lastFailure == null ? "" : " (last: " + lastFailure + ")");
    }
}
