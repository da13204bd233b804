package dev.rill.model;

import dev.rill.nn.CrossEntropy;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Finite-difference check of the hand-written backward pass: for every parameter tensor of a tiny
 * GPT, sampled entries' analytic gradients against central differences of the loss.
 */
class GradientCheckTest {

    /** NoPE: the interface's defaults add no position information (the positional plugins have their own checks). */
    static final PositionalEncoder NO_POSITIONS = new PositionalEncoder() {
        @Override
        public Params params() {
            return Params.EMPTY;
        }

        @Override
        public int maxPositions() {
            return Integer.MAX_VALUE;
        }
    };

    static Gpt tiny(PositionalEncoder pe, long seed) {
        GptConfig c = new GptConfig(11, 8, 2, 2, 8, 8, "none", Map.of());
        Gpt model = new Gpt(c, pe);
        model.initialize(seed);
        // Larger than GPT-2's init so that every path carries a gradient well above float32 noise.
        SplittableRandom r = new SplittableRandom(seed + 1);
        for (int i = 0; i < model.params.length; i++) model.params[i] += (float) (r.nextGaussian() * 0.3);
        return model;
    }

    @Test
    void everyParameterTensorMatchesFiniteDifferences() {
        Gpt model = tiny(NO_POSITIONS, 3);
        List<String> failures = check(model, 2, 8, 5e-3, 1e-2);
        assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
    }

    /** With a third of the targets ignored (as fine-tuning ignores all but the assistant's tokens) the gradient is still the loss's. */
    @Test
    void ignoredTargetsKeepTheGradientExact() {
        Gpt model = tiny(NO_POSITIONS, 5);
        List<String> failures = check(model, 2, 8, 5e-3, 1e-2, 3);
        assertTrue(failures.isEmpty(), () -> String.join("\n", failures));
    }

    /** The loss over counted targets is the mean of −log softmax at those positions, computed here in double from the logits. */
    @Test
    void ignoredTargetsTakeNoPartInTheLoss() {
        Gpt model = tiny(NO_POSITIONS, 7);
        int B = 2, T = 8, V = model.config.nVocab();
        SplittableRandom r = new SplittableRandom(3);
        int[] x = new int[B * T], y = new int[B * T];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(V);
            y[i] = i % 3 == 0 ? r.nextInt(V) : CrossEntropy.IGNORE;
        }
        model.forward(x, null, B, T);
        float[] logits = model.logits().clone();
        double sum = 0;
        int counted = 0;
        for (int n = 0; n < B * T; n++) {
            if (y[n] == CrossEntropy.IGNORE) continue;
            double max = Double.NEGATIVE_INFINITY, z = 0;
            for (int v = 0; v < V; v++) max = Math.max(max, logits[n * V + v]);
            for (int v = 0; v < V; v++) z += Math.exp(logits[n * V + v] - max);
            sum += Math.log(z) + max - logits[n * V + y[n]];
            counted++;
        }
        assertEquals(sum / counted, model.forward(x, y, B, T), 1e-5);
        int[] none = new int[B * T];
        java.util.Arrays.fill(none, CrossEntropy.IGNORE);
        assertEquals(0.0, model.forward(x, none, B, T), "no counted target: zero loss");
    }

    static List<String> check(Gpt model, int B, int T, double eps, double tolerance) {
        return check(model, B, T, eps, tolerance, 0);
    }

    /**
     * Compares, per tensor, the vector of sampled analytic gradient entries with central differences:
     * relative error {@code ‖a − n‖ / max(‖a‖, ‖n‖)} must stay below {@code tolerance}. With
     * {@code ignoreEvery > 0} every such target (from the second) is {@link CrossEntropy#IGNORE}.
     */
    static List<String> check(Gpt model, int B, int T, double eps, double tolerance, int ignoreEvery) {
        SplittableRandom r = new SplittableRandom(11);
        int V = model.config.nVocab();
        int[] x = new int[B * T], y = new int[B * T];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(V);
            y[i] = ignoreEvery > 0 && i % ignoreEvery == 1 ? CrossEntropy.IGNORE : r.nextInt(V);
        }
        model.zeroGrad();
        model.forward(x, y, B, T);
        model.backward();
        float[] analytic = model.grads.clone();
        List<String> failures = new ArrayList<>();
        for (Gpt.Param p : model.parameters()) {
            int samples = Math.min(p.size(), 24);
            double diff2 = 0, a2 = 0, n2 = 0;
            for (int s = 0; s < samples; s++) {
                int i = p.offset() + (samples == p.size() ? s : r.nextInt(p.size()));
                float saved = model.params[i];
                model.params[i] = (float) (saved + eps);
                double plus = model.forward(x, y, B, T);
                model.params[i] = (float) (saved - eps);
                double minus = model.forward(x, y, B, T);
                model.params[i] = saved;
                double numeric = (plus - minus) / (2 * eps);
                diff2 += (analytic[i] - numeric) * (analytic[i] - numeric);
                a2 += analytic[i] * (double) analytic[i];
                n2 += numeric * numeric;
            }
            double rel = Math.sqrt(diff2) / Math.max(1e-12, Math.max(Math.sqrt(a2), Math.sqrt(n2)));
            if (!(rel < tolerance) || a2 == 0) {
                failures.add(String.format("%s: relative error %.3g (|analytic| %.3g, |numeric| %.3g)", p.name(), rel, Math.sqrt(a2), Math.sqrt(n2)));
            }
        }
        return failures;
    }
}
