package dev.rill.sampler;

import dev.rill.sampling.SamplerChain;
import org.apache.commons.math3.stat.inference.ChiSquareTest;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.rill.sampler.Chains.REGISTRY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The draws follow softmax(logits / T): a chi-square goodness-of-fit test over 100,000 seeded draws
 * does not reject at p = 0.001, while the same test does reject deliberately wrong distributions,
 * so it has the power to catch a broken sampler.
 */
class DistributionTest {

    static final int DRAWS = 100_000;
    static final double ALPHA = 0.001;
    static final ChiSquareTest CHI_SQUARE = new ChiSquareTest();

    static long[] draw(List<String> chain, Map<String, ?> params, float[] logits, long seed) {
        SamplerChain samplers = SamplerChain.of(REGISTRY, chain, params);
        SamplerChain.State state = samplers.newState(logits.length, SamplerChain.seededRandom(seed));
        long[] counts = new long[logits.length];
        for (int i = 0; i < DRAWS; i++) counts[samplers.sample(logits, new int[0], 0, state)]++;
        return counts;
    }

    static double pValue(double[] probs, long[] observed) {
        double[] expected = Arrays.stream(probs).map(p -> p * DRAWS).toArray();
        return CHI_SQUARE.chiSquareTest(expected, observed);
    }

    static final float[] LOGITS = {1.0f, 0.5f, 0.2f, -0.3f, 2.0f, 1.5f, -1.0f, 0.0f, 0.8f, 1.2f};

    @Test
    void distFollowsSoftmaxOfLogitsOverTemperature() {
        long[] observed = draw(List.of("temperature", "dist"), Map.of("temperature", 0.7), LOGITS, 42);
        double p = pValue(Steps.softmax(LOGITS, 0.7), observed);
        assertTrue(p > ALPHA, "chi-square rejects softmax(logits/0.7): p = " + p);
    }

    @Test
    void theTestRejectsWrongDistributions() {
        long[] observed = draw(List.of("temperature", "dist"), Map.of("temperature", 0.7), LOGITS, 42);
        // The temperature left out.
        double p = pValue(Steps.softmax(LOGITS, 1.0), observed);
        assertTrue(p < ALPHA, "softmax(logits) at T = 1 should be rejected, p = " + p);
        // Two tokens' probabilities swapped (0.2 vs -0.3: about 0.079 vs 0.039).
        double[] swapped = Steps.softmax(LOGITS, 0.7);
        double t = swapped[2];
        swapped[2] = swapped[3];
        swapped[3] = t;
        p = pValue(swapped, observed);
        assertTrue(p < ALPHA, "swapped probabilities should be rejected, p = " + p);
        // And draws from a wrong sampler are rejected against the right distribution.
        long[] wrong = draw(List.of("temperature", "dist"), Map.of("temperature", 0.8), LOGITS, 42);
        p = pValue(Steps.softmax(LOGITS, 0.7), wrong);
        assertTrue(p < ALPHA, "draws at T = 0.8 should be rejected against T = 0.7, p = " + p);
    }

    @Test
    void distOverAThousandTokensUsesTheVectorPathCorrectly() {
        SplittableRandom r = new SplittableRandom(9);
        float[] logits = new float[1003]; // not a multiple of the vector length: the tail counts too
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (2 * r.nextDouble() - 1);
        long[] observed = draw(List.of("dist"), Map.of(), logits, 7);
        double p = pValue(Steps.softmax(logits, 1.0), observed);
        assertTrue(p > ALPHA, "chi-square rejects softmax over 1003 tokens: p = " + p);
    }

    @Test
    void defaultChainDrawsFromTheRenormalizedSurvivors() {
        // 200 tokens; the default chain keeps the top 40, then top-p 0.95, then min-p 0.05, then T = 0.8.
        SplittableRandom r = new SplittableRandom(11);
        float[] logits = new float[200];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) (1.5 * r.nextGaussian());
        // Reference: the definitions written out in double.
        Integer[] order = FiltersTest.order(logits);
        int k = 40;
        double[] pTop = new double[k];
        double max = logits[order[0]], sum = 0;
        for (int i = 0; i < k; i++) sum += pTop[i] = Math.exp(logits[order[i]] - max);
        int keep = k;
        double cumulative = 0;
        for (int i = 0; i < k; i++) {
            cumulative += pTop[i] / sum;
            if (cumulative >= 0.95) {
                keep = i + 1;
                break;
            }
        }
        int survivors = 0;
        while (survivors < keep && pTop[survivors] >= 0.05 * pTop[0]) survivors++;
        float[] kept = new float[survivors];
        for (int i = 0; i < survivors; i++) kept[i] = logits[order[i]];
        double[] expectedKept = Steps.softmax(kept, 0.8);

        long[] observed = draw(SamplerChain.DEFAULT, Map.of(), logits, 123);
        long[] observedKept = new long[survivors];
        for (int i = 0; i < survivors; i++) observedKept[i] = observed[order[i]];
        assertEquals(DRAWS, Arrays.stream(observedKept).sum(), "a token outside the expected survivors was drawn");
        assertTrue(survivors > 5 && survivors < 40, "the crafted logits should exercise the cut: " + survivors);
        double p = pValue(expectedKept, observedKept);
        assertTrue(p > ALPHA, "chi-square rejects the default chain's distribution: p = " + p);
    }
}
