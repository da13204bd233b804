package dev.rill.positional;

import dev.rill.backend.cpu.CpuBackend;
import dev.rill.model.Gpt;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.Params;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Inference with the KV cache (the CPU backend) against the training model's full recompute, for
 * every encoding; past the training context up to the maximum for those that allow it.
 */
class KvCacheTest {

    static final int V = 13, T = 8, L = 2, NH = 2, C = 16, MAX = 3 * T, PROMPT = 5;

    @ParameterizedTest
    @ValueSource(strings = {"learned", "sinusoidal", "rope", "rope-half", "rope-llama3", "alibi", "none"})
    void cacheEqualsFullRecompute(String variant) {
        boolean learned = variant.equals("learned");
        int maxContext = learned ? T : MAX;
        Gpt gpt = TinyGpt.build(variant, V, T, L, NH, C, maxContext);
        TinyGpt.randomize(gpt, 17, 0.3);
        int n = maxContext;            // beyond T for every encoding but learned
        int[] tokens = TinyGpt.tokens(new SplittableRandom(3), n, V);
        gpt.forward(tokens, null, 1, n);
        float[] full = gpt.logits().clone();

        try (ForwardPass pass = new CpuBackend().prepare(gpt.weights(), Params.EMPTY);
             KvCache one = pass.newCache(n); KvCache other = pass.newCache(n)) {
            float[] logits = new float[V];
            pass.forward(one, tokens, 0, PROMPT, logits);           // a prompt in one pass
            assertRow(full, PROMPT - 1, logits, variant);
            for (int t = PROMPT; t < n; t++) {                        // then one token at a time
                pass.forward(one, tokens, t, t + 1, logits);
                assertRow(full, t, logits, variant);
            }
            // A batched decode step with two sequences at different positions.
            pass.forward(other, tokens, 0, 2, logits);
            float[][] both = new float[2][V];
            one.truncate(n - 1);
            pass.decode(new KvCache[]{one, other}, new int[]{tokens[n - 1], tokens[2]}, both);
            assertRow(full, n - 1, both[0], variant);
            assertRow(full, 2, both[1], variant);

            // One position past the maximum is refused by both paths.
            try (KvCache longer = pass.newCache(n + 1)) {
                pass.forward(longer, tokens, 0, n, logits);
                var e = assertThrows(IllegalArgumentException.class, () -> pass.forward(longer, new int[]{1}, 0, 1, logits));
                assertTrue(e.getMessage().contains("position " + n), e.getMessage());
            }
        }
        int[] tooLong = TinyGpt.tokens(new SplittableRandom(4), n + 1, V);
        var e = assertThrows(IllegalArgumentException.class, () -> gpt.forward(tooLong, null, 1, n + 1));
        assertTrue(e.getMessage().contains("sequence length " + (n + 1)), e.getMessage());
    }

    /** Within 1e-3 of the largest logit (or of 1): the cache holds keys and values as halves (11 significant bits), the recompute as floats. */
    static void assertRow(float[] full, int t, float[] logits, String variant) {
        double scale = 0;
        for (int v = 0; v < V; v++) scale = Math.max(scale, Math.abs(full[t * V + v]));
        for (int v = 0; v < V; v++) {
            assertEquals(full[t * V + v], logits[v], 1e-3 * Math.max(1, scale), variant + " position " + t + " token " + v);
        }
    }
}
