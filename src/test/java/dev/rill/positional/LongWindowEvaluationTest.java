package dev.rill.positional;

import dev.rill.model.Gpt;
import dev.rill.train.Evaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static dev.rill.positional.BadInputTest.assertMentions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Evaluation on windows longer than the training context, for the encodings that define those positions. */
class LongWindowEvaluationTest {

    static final int V = 11, T = 8, WINDOW = 2 * T;

    @ParameterizedTest
    @ValueSource(strings = {"sinusoidal", "rope", "rope-half", "alibi", "none"})
    void windowsOfTwiceTGiveTheMeanCrossEntropyOfTheirTargets(String variant) {
        Gpt gpt = TinyGpt.build(variant, V, T, 1, 2, 8, WINDOW);
        TinyGpt.randomize(gpt, 31, 0.3);
        int[] tokens = TinyGpt.tokens(new SplittableRandom(5), 3 * WINDOW + 5, V);

        // Batches of 2 over 3 windows: one full batch and one short one.
        Evaluation.Result r = Evaluation.crossEntropy(gpt, tokens, 2, WINDOW);
        assertEquals(3, r.windows());
        assertEquals(3L * WINDOW, r.tokens());

        // The same from the logits, window by window, in double: −log softmax(logits)[next token].
        double sum = 0;
        for (int w = 0; w < 3; w++) {
            int[] x = java.util.Arrays.copyOfRange(tokens, w * WINDOW, (w + 1) * WINDOW);
            gpt.forward(x, null, 1, WINDOW);
            float[] logits = gpt.logits();
            for (int t = 0; t < WINDOW; t++) {
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (int v = 0; v < V; v++) max = Math.max(max, logits[t * V + v]);
                for (int v = 0; v < V; v++) z += Math.exp(logits[t * V + v] - max);
                sum += max + Math.log(z) - logits[t * V + tokens[w * WINDOW + t + 1]];
            }
        }
        assertEquals(sum / (3 * WINDOW), r.loss(), 1e-5, variant);
    }

    @Test
    void learnedPositionsRefuseWindowsPastT() {
        Gpt gpt = TinyGpt.build("learned", V, T, 1, 2, 8, T);
        gpt.initialize(1);
        int[] tokens = TinyGpt.tokens(new SplittableRandom(5), 2 * WINDOW, V);
        var e = assertThrows(IllegalArgumentException.class, () -> Evaluation.crossEntropy(gpt, tokens, 2, WINDOW));
        assertMentions(e, "sequence length 16", "training context T=8");
        e = assertThrows(IllegalArgumentException.class, () -> Evaluation.crossEntropy(gpt, new int[WINDOW], 2, WINDOW));
        assertMentions(e, "16 tokens", "fewer than 17", "window of 16");
    }
}
