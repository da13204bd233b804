package dev.rill.generate;

import dev.rill.spi.Architecture;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.tensor.JitWarmup;

/**
 * Runs a prepared model on throwaway sequences before it serves, as llama.cpp's server warms a model
 * up before it reports ready: the kernels run interpreted until the JIT has compiled them, so
 * otherwise the first request pays for it (stories110M Q4_K, a 599-token prompt and 32 tokens:
 * 7.8 s the first time, 2.7–2.9 s after). Each round is a prompt (the many-row kernels), single decode
 * steps and a two-sequence decode step (what the batch scheduler runs), on caches dropped afterwards;
 * rounds repeat until the JIT has been quiet for half a second.
 */
public final class WarmUp {

    /** Prompt tokens per round: enough rows for the prompt kernels' tiles (four rows of x, two groups of weights). */
    static final int PROMPT = 16;
    /** Single decode steps per round. */
    static final int STEPS = 4;

    private WarmUp() {
    }

    /**
     * Warms {@code pass} up for at most {@code maxSeconds}. The pass must not be in use meanwhile
     * (it is not thread-safe): call it before it serves.
     *
     * @return the rounds run
     */
    public static int run(ForwardPass pass, double maxSeconds) {
        Architecture a = pass.weights().arch();
        if (a.T() < 2) return 0;
        // Within the context: the prompt, the single steps, and one more position for the pair's step.
        int prompt = Math.min(PROMPT, a.T() / 2), steps = Math.min(STEPS, a.T() - prompt - 1), capacity = prompt + steps + 1;
        int[] tokens = new int[prompt + steps];
        // Any valid indices: the values do not matter to the kernels, only the shapes.
        for (int i = 0; i < tokens.length; i++) tokens[i] = (i * 7919 + 1) % a.nVocab();
        float[] logits = new float[a.nVocab()];
        float[][] pair = {new float[a.nVocab()], new float[a.nVocab()]};
        return JitWarmup.untilCompiled(() -> {
            try (KvCache one = pass.newCache(capacity); KvCache two = pass.newCache(capacity)) {
                pass.forward(one, tokens, 0, prompt, logits);
                pass.forward(two, tokens, 0, 1, logits);
                for (int s = 0; s < steps; s++) pass.forward(one, tokens, prompt + s, prompt + s + 1, logits);
                pass.decode(new KvCache[]{one, two}, new int[]{tokens[0], tokens[1 % tokens.length]}, pair);
            }
        }, 0, 0.5, maxSeconds);
    }
}
