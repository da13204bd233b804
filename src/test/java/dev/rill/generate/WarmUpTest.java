package dev.rill.generate;

import dev.rill.model.LoadedModel;
import dev.rill.model.TinyModel;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link WarmUp} runs the real pass on throwaway sequences and leaves nothing behind in it. */
class WarmUpTest {

    static float[] logits(ForwardPass pass, int[] prompt) {
        float[] out = new float[pass.weights().arch().nVocab()];
        try (KvCache cache = pass.newCache(prompt.length)) {
            pass.forward(cache, prompt, 0, prompt.length, out);
        }
        return out;
    }

    @Test
    void warmsUpUntilTheJitIsQuietAndLeavesThePassAsItWas() throws Exception {
        try (LoadedModel model = TinyModel.load(); ForwardPass pass = TinyModel.prepare(model)) {
            int[] prompt = {3, 1, 4, 1, 5, 9, 2, 6};
            float[] before = logits(pass, prompt);
            long t0 = System.nanoTime();
            int rounds = WarmUp.run(pass, 20);
            double seconds = (System.nanoTime() - t0) / 1e9;
            assertTrue(rounds >= 1 && seconds < 25, rounds + " rounds in " + seconds + " s");
            // Same logits, bit for bit: the warm-up's caches and positions did not leak into the pass.
            assertArrayEquals(before, logits(pass, prompt));
            // A bound of 0 s is one round: whatever is left, the server starts.
            assertEquals(1, WarmUp.run(pass, 0));
        }
    }
}
