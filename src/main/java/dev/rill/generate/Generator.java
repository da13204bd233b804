package dev.rill.generate;

import dev.rill.model.LoadedModel;
import dev.rill.spi.ForwardPass;

import java.util.function.Consumer;

/**
 * Runs one generation to its end on the calling thread, handing each token to a callback the moment
 * it is sampled: the simple driver of a {@link Sequence} (the command line, training samples,
 * benchmarks). Several generations at once, batched and cancellable, take a {@link BatchScheduler}.
 */
public final class Generator {

    /** Tokens of a prompt run per forward call. */
    public static final int PROMPT_CHUNK = 256;

    private final LoadedModel model;
    private final ForwardPass pass;

    public Generator(LoadedModel model, ForwardPass pass) {
        this.model = model;
        this.pass = pass;
    }

    /** Generates to the end; {@code onToken} sees every token as it is sampled. */
    public GenerationResult generateNow(GenerationRequest request, Consumer<GeneratedToken> onToken) {
        Sequence sequence = new Sequence(model, pass, request);
        float[] logits = new float[model.weights().arch().nVocab()];
        while (!sequence.finished()) {
            int[] chunk = sequence.nextChunk(PROMPT_CHUNK);
            // One caller at a time per prepared model (ForwardPass is not thread-safe).
            synchronized (pass) {
                pass.forward(sequence.cache(), chunk, 0, chunk.length, logits);
            }
            if (sequence.readyToSample()) sequence.accept(logits).ifPresent(onToken);
        }
        return sequence.result();
    }
}
