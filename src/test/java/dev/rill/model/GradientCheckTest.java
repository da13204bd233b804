package dev.rill.model;

import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

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

    /**
     * Compares, per tensor, the vector of sampled analytic gradient entries with central differences:
     * relative error {@code ‖a − n‖ / max(‖a‖, ‖n‖)} must stay below {@code tolerance}.
     */
    static List<String> check(Gpt model, int B, int T, double eps, double tolerance) {
        SplittableRandom r = new SplittableRandom(11);
        int V = model.config.nVocab();
        int[] x = new int[B * T], y = new int[B * T];
        for (int i = 0; i < x.length; i++) {
            x[i] = r.nextInt(V);
            y[i] = r.nextInt(V);
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
