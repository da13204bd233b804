package example.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.Params;
import dev.rill.spi.SamplingContext;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The sampler on its own: what it keeps, and which parameter values it refuses. */
class TopATest {

    /** What the chain hands a sampler, for one step. */
    static SamplingContext context(Params params) {
        Map<String, Object> state = new HashMap<>();
        return new SamplingContext() {
            public Params params() {
                return params;
            }

            public int[] history() {
                return new int[0];
            }

            public int historyLength() {
                return 0;
            }

            public RandomGenerator random() {
                return RandomGenerator.of("L64X128MixRandom");
            }

            public Map<String, Object> state() {
                return state;
            }
        };
    }

    /** The ids left after top-a with {@code a} over logits whose softmax is {@code probs}. */
    static int[] kept(double[] probs, double a) {
        float[] logits = new float[probs.length];
        for (int i = 0; i < probs.length; i++) logits[i] = (float) Math.log(probs[i]);
        Candidates c = new Candidates(probs.length).reset(logits, probs.length);
        TopA topA = new TopA();
        topA.apply(c, context(topA.params(Map.of("top_a", a))));
        int[] ids = Arrays.copyOf(c.ids, c.size);
        Arrays.sort(ids);
        return ids;
    }

    @Test
    void keepsTokensAtLeastATimesTheSquareOfTheLargestProbability() {
        double[] probs = {0.05, 0.5, 0.15, 0.3};
        // p_max² = 0.25: a = 0.3 keeps p ≥ 0.075, a = 1 keeps p ≥ 0.25.
        assertArrayEquals(new int[]{1, 2, 3}, kept(probs, 0.3));
        assertArrayEquals(new int[]{1, 3}, kept(probs, 1));
        assertArrayEquals(new int[]{0, 1, 2, 3}, kept(probs, 0), "0 turns it off");
        // A flat distribution (the model unsure) keeps everything.
        assertEquals(100, kept(flat(100), 1).length);
    }

    static double[] flat(int n) {
        double[] p = new double[n];
        Arrays.fill(p, 1.0 / n);
        return p;
    }

    @Test
    void refusesValuesOutsideItsRange() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new TopA().params(Map.of("top_a", 1.5)));
        assertTrue(e.getMessage().contains("top_a"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new TopA().params(Map.of("top_k", 3)));
        assertEquals(0.2, new TopA().params(Map.of()).getDouble("top_a"));
    }
}
