package dev.rill.generate;

import dev.rill.model.LoadedModel;
import dev.rill.spi.ForwardPass;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.subscription.MultiEmitter;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * Runs generations one token at a time on a prepared model and streams each sampled token the
 * moment it is sampled. Steps of concurrent generations interleave on the shared {@link ForwardPass}
 * (one step at a time); a server that wants batched decoding drives {@link Sequence}s itself.
 */
public final class Generator {

    /** Tokens of a prompt run per forward call, so that other generations' steps can interleave. */
    public static final int PROMPT_CHUNK = 256;

    private final LoadedModel model;
    private final ForwardPass pass;
    private final Executor executor;

    public Generator(LoadedModel model, ForwardPass pass) {
        this(model, pass, Executors.newThreadPerTaskExecutor(Thread.ofPlatform().name("rill-generate-", 0).daemon().factory()));
    }

    public Generator(LoadedModel model, ForwardPass pass, Executor executor) {
        this.model = model;
        this.pass = pass;
        this.executor = executor;
    }

    /** A running generation: its token stream and, once that completes, the result. */
    public record Generation(Multi<GeneratedToken> tokens, CompletableFuture<GenerationResult> result) {
    }

    /**
     * Starts generating when {@code tokens()} is subscribed. Cancelling the subscription stops the
     * generation before its next token.
     */
    public Generation generate(GenerationRequest request) {
        CompletableFuture<GenerationResult> result = new CompletableFuture<>();
        Sequence sequence = new Sequence(model, pass, request);
        Multi<GeneratedToken> tokens = Multi.createFrom().<GeneratedToken>emitter(emitter -> {
            emitter.onTermination(sequence::cancel);
            executor.execute(() -> run(sequence, emitter, result));
        });
        return new Generation(tokens, result);
    }

    private void run(Sequence sequence, MultiEmitter<? super GeneratedToken> emitter, CompletableFuture<GenerationResult> result) {
        float[] logits = new float[model.weights().arch().nVocab()];
        try {
            while (!sequence.finished()) {
                if (sequence.cancelled()) {
                    sequence.abort();
                    break;
                }
                int[] chunk = sequence.nextChunk(PROMPT_CHUNK);
                synchronized (pass) {
                    pass.forward(sequence.cache(), chunk, 0, chunk.length, logits);
                }
                if (sequence.readyToSample()) sequence.accept(logits).ifPresent(emitter::emit);
            }
            result.complete(sequence.result());
            emitter.complete();
        } catch (Throwable t) {
            sequence.abort();
            result.completeExceptionally(t);
            emitter.fail(t);
        }
    }

    /** Generates to the end on the calling thread (for tests and simple callers). */
    public GenerationResult generateNow(GenerationRequest request, java.util.function.Consumer<GeneratedToken> onToken) {
        Sequence sequence = new Sequence(model, pass, request);
        float[] logits = new float[model.weights().arch().nVocab()];
        while (!sequence.finished()) {
            int[] chunk = sequence.nextChunk(PROMPT_CHUNK);
            synchronized (pass) {
                pass.forward(sequence.cache(), chunk, 0, chunk.length, logits);
            }
            if (sequence.readyToSample()) sequence.accept(logits).ifPresent(onToken);
        }
        return sequence.result();
    }
}
