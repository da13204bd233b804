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
     * Starts a generation through {@code submit} now, or when one of the client's own ends.
     *
     * @throws ApiException 429 {@code overloaded} when the client already has as many as it may
     */
    public Generation submit(String client, Function<BatchScheduler.Listener, BatchScheduler.Job> submit, BatchScheduler.Listener listener) {
        var limits = config.limits().perClient();
        while (true) {
            Client c = clients.computeIfAbsent(client, k -> new Client());
            Held g = new Held(client, c, submit, listener);
            synchronized (c) {
                if (c.gone) continue;   // emptied and dropped meanwhile: take a fresh one
                if (c.admitted < limits.maxConcurrent()) {
                    c.admitted++;
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
                release(client, c);
                throw e;
            }
            return g;
        }
    }

    /** One of the client's generations ended: the next one waiting, if any, takes its place. */
    private void release(String client, Client c) {
        while (true) {
            Held next;
            synchronized (c) {
                c.admitted--;
                next = c.waiting.poll();
                if (next != null) {
                    held.decrementAndGet();
                    c.admitted++;
                } else if (c.admitted == 0) {
                    c.gone = true;
                    clients.remove(client, c);
                }
            }
            if (next == null) return;
            try {
                next.start();
                return;
            } catch (OverloadedException e) {
                next.listener.onError(e);   // its scheduler is full: refused now, as it would have been at once
            } catch (RuntimeException e) {
                next.listener.onError(e);
            }
        }
    }

    /** A generation of one client: held here, then in its scheduler. */
    private final class Held implements Generation {
        final String client;
        final Client owner;
        final Function<BatchScheduler.Listener, BatchScheduler.Job> submit;
        final BatchScheduler.Listener listener;
        volatile BatchScheduler.Job job;
        volatile boolean cancelled;

        Held(String client, Client owner, Function<BatchScheduler.Listener, BatchScheduler.Job> submit, BatchScheduler.Listener listener) {
            this.client = client;
            this.owner = owner;
            this.submit = submit;
            this.listener = listener;
        }

        void start() {
            job = submit.apply(new BatchScheduler.Listener() {
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
                    release(client, owner);
                    listener.onDone(result);
                }

                @Override
                public void onError(RuntimeException error) {
                    release(client, owner);
                    listener.onError(error);
                }
            });
            if (cancelled) job.cancel();
        }

        @Override
        public void cancel() {
            cancelled = true;
            BatchScheduler.Job j = job;
            if (j != null) {
                j.cancel();
                return;
            }
            boolean wasWaiting;
            synchronized (owner) {
                wasWaiting = owner.waiting.remove(this);
            }
            if (wasWaiting) {
                held.decrementAndGet();
                listener.onDone(new GenerationResult(FinishReason.CANCELLED, 0, 0, "", 0, 0));
            }
        }
    }
}
