package dev.rill.server.metrics;

import dev.rill.generate.BatchScheduler;
import dev.rill.generate.GeneratedToken;
import dev.rill.generate.GenerationResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Rill's Prometheus metrics (at {@code /q/metrics}; dots become underscores there):
 * <ul>
 *   <li>{@code rill.requests{api,outcome}} — generation requests by API ({@code ws}, {@code chat}, {@code completions})
 *       and how they ended ({@code stop}, {@code length}, {@code cancelled}, {@code error}, {@code overloaded}, {@code invalid})</li>
 *   <li>{@code rill.tokens.generated{model}}, {@code rill.tokens.prompt{model}} — sampled and prompt tokens</li>
 *   <li>{@code rill.time.to.first.token{model}} — from the request's arrival (queue included) to its first token (histogram)</li>
 *   <li>{@code rill.inter.token.latency{model}} — between consecutive tokens of one stream (histogram)</li>
 *   <li>{@code rill.generations.active{model}}, {@code rill.generations.queued{model}} — gauges</li>
 *   <li>{@code rill.batch.size{model}} — sequences per batched decode step</li>
 *   <li>{@code rill.forward.tokens{model,phase}} — token positions run through the model ({@code decode}, {@code prefill})</li>
 * </ul>
 */
@ApplicationScoped
public class ServerMetrics {

    @Inject
    MeterRegistry registry;

    /** Gauges of the scheduler of the model served as {@code model} (replacing those of an earlier model of that name, e.g. an older checkpoint). */
    public void register(String model, BatchScheduler s) {
        for (String gauge : new String[]{"rill.generations.active", "rill.generations.queued"}) {
            registry.find(gauge).tag("model", model).meters().forEach(registry::remove);
        }
        Gauge.builder("rill.generations.active", s, BatchScheduler::active).tag("model", model)
                .description("generations running now").register(registry);
        Gauge.builder("rill.generations.queued", s, BatchScheduler::queued).tag("model", model)
                .description("generations waiting for a slot").register(registry);
    }

    /** Counts the batch sizes and rows of a model's scheduler iterations. */
    public BatchScheduler.Observer observer(String model) {
        DistributionSummary batch = DistributionSummary.builder("rill.batch.size").tag("model", model)
                .description("sequences decoded in one pass over the weights").register(registry);
        Counter decodeRows = Counter.builder("rill.forward.tokens").tag("model", model).tag("phase", "decode").register(registry);
        Counter prefillRows = Counter.builder("rill.forward.tokens").tag("model", model).tag("phase", "prefill").register(registry);
        return (decode, prefill, nanos) -> {
            if (decode > 0) {
                batch.record(decode);
                decodeRows.increment(decode);
            }
            if (prefill > 0) prefillRows.increment(prefill);
        };
    }

    /** A request that ended before generating: refused or invalid. */
    public void request(String api, String outcome) {
        registry.counter("rill.requests", "api", api, "outcome", outcome).increment();
    }

    /**
     * Wraps a listener to time its tokens and count its outcome.
     *
     * @param arrivalNanos {@link System#nanoTime()} when the request arrived
     */
    public BatchScheduler.Listener measure(String api, String model, long arrivalNanos, BatchScheduler.Listener inner) {
        Timer ttft = Timer.builder("rill.time.to.first.token").tag("model", model).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(2))
                .description("time from a request's arrival to its first token").register(registry);
        Timer itl = Timer.builder("rill.inter.token.latency").tag("model", model).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(10))
                .description("time between consecutive tokens of one stream").register(registry);
        Counter tokens = registry.counter("rill.tokens.generated", "model", model);
        Counter promptTokens = registry.counter("rill.tokens.prompt", "model", model);
        return new BatchScheduler.Listener() {
            long last;
            int seen;

            @Override
            public void onStart(int prompt) {
                promptTokens.increment(prompt);
                inner.onStart(prompt);
            }

            @Override
            public void onToken(GeneratedToken token) {
                long now = System.nanoTime();
                if (seen++ == 0) ttft.record(now - arrivalNanos, TimeUnit.NANOSECONDS);
                else itl.record(now - last, TimeUnit.NANOSECONDS);
                last = now;
                tokens.increment();
                inner.onToken(token);
            }

            @Override
            public void onDone(GenerationResult result) {
                // Tokens sampled without a frame (an end token, the end of a stop string) count too.
                if (result.completionTokens() > seen) tokens.increment(result.completionTokens() - seen);
                request(api, result.finishReason().wire());
                inner.onDone(result);
            }

            @Override
            public void onError(RuntimeException error) {
                request(api, "error");
                inner.onError(error);
            }
        };
    }
}
