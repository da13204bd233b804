package dev.rill.train;

import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.model.GradientCheckTestAccess;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** AdamW against its formulas, written out in double precision. */
class AdamWTest {

    @Test
    void stepsFollowTheFormulasWithDecayOnlyOnMatrices() {
        Gpt model = new Gpt(new GptConfig(7, 4, 1, 1, 4, 4, "none", Map.of()), GradientCheckTestAccess.noPositions());
        model.initialize(5);
        SplittableRandom r = new SplittableRandom(9);
        int n = model.params.length;
        double[] p = new double[n], m = new double[n], v = new double[n];
        for (int i = 0; i < n; i++) p[i] = model.params[i];
        AdamW adam = new AdamW(model, 0.9, 0.95, 1e-8, 0.1);
        double lr = 3e-3;
        for (int t = 1; t <= 3; t++) {
            for (int i = 0; i < n; i++) model.grads[i] = (float) r.nextGaussian();
            adam.step(model.params, model.grads, lr, t);
            for (Gpt.Param param : model.parameters()) {
                for (int i = param.offset(); i < param.offset() + param.size(); i++) {
                    double g = model.grads[i];
                    m[i] = 0.9 * m[i] + 0.1 * g;
                    v[i] = 0.95 * v[i] + 0.05 * g * g;
                    double mHat = m[i] / (1 - Math.pow(0.9, t)), vHat = v[i] / (1 - Math.pow(0.95, t));
                    p[i] -= lr * mHat / (Math.sqrt(vHat) + 1e-8) + (param.decay() ? lr * 0.1 * p[i] : 0);
                    assertEquals(p[i], model.params[i], 1e-5, param.name() + " at step " + t);
                }
            }
        }
    }

    @Test
    void clippingScalesTheGlobalNormDown() {
        float[] g = {3, 4, 0, 0};
        double norm = AdamW.clipGradNorm(g, 1.0);
        assertEquals(5.0, norm, 1e-6);
        assertEquals(0.6, g[0], 1e-5);
        assertEquals(0.8, g[1], 1e-5);
        float[] small = {0.3f, 0.4f};
        AdamW.clipGradNorm(small, 1.0);
        assertEquals(0.3f, small[0]);
    }
}
