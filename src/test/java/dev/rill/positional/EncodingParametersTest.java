package dev.rill.positional;

import dev.rill.model.Gpt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What each encoding adds to the model's trainable parameters. */
class EncodingParametersTest {

    static final int V = 11, T = 8, L = 2, NH = 2, C = 8;

    /** GPT-2 without position table: wte, per layer 12C² + 13C, final LayerNorm. */
    static long gpt2WithoutPositions() {
        return (long) V * C + L * (12L * C * C + 13L * C) + 2L * C;
    }

    @ParameterizedTest
    @ValueSource(strings = {"none", "alibi", "rope", "sinusoidal"})
    void addNoParameters(String encoding) {
        Gpt gpt = TinyGpt.build(encoding, V, T, L, NH, C, T);
        assertTrue(gpt.positional.parameters().isEmpty());
        assertEquals(gpt2WithoutPositions(), gpt.parameterCount());
    }

    @Test
    void learnedAddsATableThatTrains() {
        Gpt gpt = TinyGpt.build("learned", V, T, L, NH, C, T);
        assertEquals(gpt2WithoutPositions() + (long) T * C, gpt.parameterCount());
        Gpt.Param wpe = gpt.parameter("transformer.wpe.weight");
        assertEquals(T * C, wpe.size());
        gpt.initialize(3);
        SplittableRandom random = new SplittableRandom(8);
        gpt.zeroGrad();
        gpt.forward(TinyGpt.tokens(random, 2 * T, V), TinyGpt.tokens(random, 2 * T, V), 2, T);
        gpt.backward();
        // Every position's row receives gradient (its value is checked against finite differences elsewhere).
        for (int pos = 0; pos < T; pos++) {
            double norm = 0;
            for (int c = 0; c < C; c++) norm += Math.abs(gpt.grads[wpe.offset() + pos * C + c]);
            assertTrue(norm > 0, "no gradient reached wpe row " + pos);
        }
    }
}
