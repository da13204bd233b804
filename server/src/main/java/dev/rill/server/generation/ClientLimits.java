package dev.rill.server.generation;

import dev.rill.generate.BatchScheduler;
import dev.rill.generate.FinishReason;
import dev.rill.generate.GeneratedToken;
import dev.rill.generate.GenerationResult;
import dev.rill.generate.OverloadedException;
import dev.rill.server.api.ApiException;
import dev.rill.server.config.RillConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Fair use: one client (its API key, else its address) may have at most
 * {@code rill.limits.per-client.max-concurrent} generations in the schedulers (running, or in a
 * scheduler's queue) and {@code rill.limits.per-client.max-queued} more waiting here for one of
 * those to end; beyond that it is refused (WebSocket {@code overloaded}, HTTP 429). So sixteen long
 * requests from one client no longer hold every slot: the others' requests are admitted as before.
 */
@ApplicationScoped
public class ClientLimits {

    @Inject
    RillConfig config;
    @Inject
    MeterRegistry registry;

    private final ConcurrentHashMap<String, Client> clients = new ConcurrentHashMap<>();
    private final AtomicInteger held = new AtomicInteger();

    /** One client's generations: how many are in the schedulers, and those waiting for one of them to end. */
    private static final class Client {
        int admitted;
        final ArrayDeque<Held> waiting = new ArrayDeque<>();
        boolean gone;
    }

    @PostConstruct
    void gauge() {
        Gauge.builder("rill.generations.held", this, ClientLimits::held)
                .description("generations held back by per-client limits until one of their client's own ends").register(registry);
    }

    /** Generations waiting here for their client's turn (all clients). */
    public int held() {
        return held.get();
    }

    /**
     * Starts a request's generations (its choices) through {@code submit} now, or when enough of the
     * client's own have ended. A request of {@code n} choices counts {@code n}; one that alone exceeds
     * the limit starts when the client has nothing else in progress (its choices share one prompt).
     *
     * @throws ApiException 429 {@code overloaded} when the client already has as many as it may
     */
    public Generation submit(String client, Function<List<BatchScheduler.Listener>, List<BatchScheduler.Job>> submit,
                             List<BatchScheduler.Listener> listeners) {
        var limits = config.limits().perClient();
        while (true) {
            Client c = clients.computeIfAbsent(client, k -> new Client());
            Held g = new Held(client, c, submit, listeners);
            synchronized (c) {
                if (c.gone) continue;   // emptied and dropped meanwhile: take a fresh one
                if (c.waiting.isEmpty() && fits(c, g.n)) {
                    c.admitted += g.n;
                } else if (c.waiting.size() < limits.maxQueued()) {
                    c.waiting.add(g);
                    held.incrementAndGet();
                    return g;
                } else {
                    throw new ApiException(429, "overloaded", null, "this client already has " + c.admitted + " generations in progress and "
                            + c.waiting.size() + " waiting; one client may have at most " + limits.maxConcurrent() + " in progress and "
                            + limits.maxQueued() + " waiting (rill.limits.per-client.max-concurrent, max-queued)");
                }
            }
            try {
                g.start();
            } catch (RuntimeException e) {
                release(client, c, g.n);
                throw e;
            }
            return g;
        }
    }

    /** Whether {@code n} more generations of the client may start now. */
    private boolean fits(Client c, int n) {
        return c.admitted == 0 || c.admitted + n <= config.limits().perClient().maxConcurrent();
    }

    /** {@code n} of the client's generations ended: those waiting next, as far as they fit, take their place. */
    private void release(String client, Client c, int n) {
        List<Held> starting = new ArrayList<>();
        synchronized (c) {
            c.admitted -= n;
            while (!c.waiting.isEmpty() && fits(c, c.waiting.peek().n)) {
                Held next = c.waiting.poll();
                held.decrementAndGet();
                c.admitted += next.n;
                starting.add(next);
            }
            if (c.admitted == 0 && c.waiting.isEmpty()) {
                c.gone = true;
                clients.remove(client, c);
            }
        }
        for (Held next : starting) {
            try {
                next.start();
            } catch (RuntimeException e) {   // e.g. its scheduler is full: refused now, as it would have been at once
                release(client, c, next.n);
                next.listeners.forEach(l -> l.onError(e));
            }
        }
    }

    /** A request's generations (one per choice) of one client: held here, then in its scheduler. */
    private final class Held implements Generation {
        final String client;
        final Client owner;
        final Function<List<BatchScheduler.Listener>, List<BatchScheduler.Job>> submit;
        final List<BatchScheduler.Listener> listeners;
        final int n;
        final AtomicInteger running;
        volatile List<BatchScheduler.Job> jobs;
        volatile boolean cancelled;

        Held(String client, Client owner, Function<List<BatchScheduler.Listener>, List<BatchScheduler.Job>> submit, List<BatchScheduler.Listener> listeners) {
            this.client = client;
            this.owner = owner;
            this.submit = submit;
            this.listeners = listeners;
            this.n = listeners.size();
            this.running = new AtomicInteger(n);
        }

        void start() {
            List<BatchScheduler.Listener> wrapped = new ArrayList<>(n);
            for (BatchScheduler.Listener listener : listeners) {
                wrapped.add(new BatchScheduler.Listener() {
                    @Override
                    public void onStart(int promptTokens) {
                        listener.onStart(promptTokens);
                    }

                    @Override
                    public void onToken(GeneratedToken token) {
                        listener.onToken(token);
                    }

                    @Override
                    public void onDone(GenerationResult result) {
                        ended();
                        listener.onDone(result);
                    }

                    @Override
                    public void onError(RuntimeException error) {
                        ended();
                        listener.onError(error);
                    }
                });
            }
            jobs = submit.apply(wrapped);
            if (cancelled) jobs.forEach(BatchScheduler.Job::cancel);
        }

        /** One choice ended; the last frees the request's place. */
        private void ended() {
            if (running.decrementAndGet() == 0) release(client, owner, n);
        }

        @Override
        public void cancel() {
            cancelled = true;
            List<BatchScheduler.Job> js = jobs;
            if (js != null) {
                js.forEach(BatchScheduler.Job::cancel);
                return;
            }
            boolean wasWaiting;
            synchronized (owner) {
                wasWaiting = owner.waiting.remove(this);
            }
            if (wasWaiting) {
                held.decrementAndGet();
                listeners.forEach(l -> l.onDone(new GenerationResult(FinishReason.CANCELLED, 0, 0, "", 0, 0)));
            }
        }
    }
}
