package dev.rill.positional;

import dev.rill.model.Gpt;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The whole model's backward pass, with each positional encoding, against central finite
 * differences of its loss: every parameter tensor, a sample of its entries.
 */
class GptGradientCheckTest {

    static final int V = 11, T = 8, LAYERS = 2, HEADS = 2, C = 8, B = 2, SAMPLES = 12;
    static final double EPS = 4e-3, TOLERANCE = 1e-2;

    @ParameterizedTest
    @ValueSource(strings = {"learned", "sinusoidal", "rope", "rope-half", "rope-llama3", "alibi", "none"})
    void backwardMatchesFiniteDifferences(String variant) {
        Gpt gpt = TinyGpt.build(variant, V, T, LAYERS, HEADS, C, T);
        TinyGpt.randomize(gpt, 7, 0.3);
        SplittableRandom random = new SplittableRandom(11);
        int[] inputs = TinyGpt.tokens(random, B * T, V), targets = TinyGpt.tokens(random, B * T, V);

        gpt.zeroGrad();
        gpt.forward(inputs, targets, B, T);
        gpt.backward();
        float[] analytic = gpt.grads.clone();

        List<String> failures = new ArrayList<>();
        for (Gpt.Param p : gpt.parameters()) {
            int n = Math.min(SAMPLES, p.size());
            double[] numeric = new double[n], exact = new double[n];
            int[] picked = random.ints(0, p.size()).distinct().limit(n).toArray();
            for (int s = 0; s < n; s++) {
                int i = p.offset() + picked[s];
                float original = gpt.params[i];
                gpt.params[i] = (float) (original + EPS);
                double up = gpt.params[i] - original;      // the step float32 actually took
                double lossUp = gpt.forward(inputs, targets, B, T);
                gpt.params[i] = (float) (original - EPS);
                double down = original - gpt.params[i];
                double lossDown = gpt.forward(inputs, targets, B, T);
                gpt.params[i] = original;
                numeric[s] = (lossUp - lossDown) / (up + down);
                exact[s] = analytic[i];
            }
            double diff = 0, normNumeric = 0, normExact = 0;
            for (int s = 0; s < n; s++) {
                diff += (numeric[s] - exact[s]) * (numeric[s] - exact[s]);
                normNumeric += numeric[s] * numeric[s];
                normExact += exact[s] * exact[s];
            }
            diff = Math.sqrt(diff);
            double scale = Math.max(Math.sqrt(normNumeric), Math.sqrt(normExact));
            // A vanishing gradient would make the comparison prove nothing.
            assertTrue(scale > 1e-4, variant + ": gradient of " + p.name() + " is too small to check (" + scale + ")");
            double relative = diff / scale;
            if (relative >= TOLERANCE) failures.add(p.name() + " relative error " + relative);
        }
        if (!failures.isEmpty()) fail(variant + ": " + String.join("; ", failures));
    }
}
