package dev.rill.sampler;

import dev.rill.sampling.SamplerChain;
import dev.rill.spi.Candidates;
import dev.rill.spi.Sampler;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.rill.sampler.Chains.REGISTRY;
import static dev.rill.sampler.Steps.candidates;
import static dev.rill.sampler.Steps.reversed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TemperatureGreedyMirostatTest {

    static final float[] LOGITS = {1.0f, 3.0f, -2.0f, 3.0f, 0.5f};

    static double[] softmaxOfLive(Candidates c) {
        c.softmax();
        double[] byId = new double[c.capacity()];
        for (int i = 0; i < c.size; i++) byId[c.ids[i]] = c.probs[i];
        return byId;
    }

    @Test
    void temperatureGivesSoftmaxOfLogitsOverT() {
        for (double t : new double[]{0.1, 0.5, 0.8, 1.0, 2.0, 7.5}) {
            Candidates c = candidates(LOGITS);
            Steps.apply("temperature", Map.of("temperature", t), c);
            assertArrayEquals(Steps.softmax(LOGITS, t), softmaxOfLive(c), 1e-6, "T = " + t);
        }
    }

    @Test
    void temperatureZeroKeepsOnlyTheBestWithTiesToTheLowerId() {
        for (Candidates c : new Candidates[]{candidates(LOGITS), reversed(LOGITS)}) {
            assertArrayEquals(new int[]{1}, Steps.apply("temperature", Map.of("temperature", 0), c));
        }
    }

    @Test
    void aTinyTemperatureCannotOverflowIntoNaN() {
        Candidates c = candidates(LOGITS);
        Steps.apply("temperature", Map.of("temperature", 1e-30), c);
        double[] p = softmaxOfLive(c);
        // The two tied best tokens share the mass; everything else vanishes.
        assertArrayEquals(new double[]{0, 0.5, 0, 0.5, 0}, p, 1e-6);
    }

    @Test
    void greedyPicksTheArgmaxWithTiesToTheLowerId() {
        SamplerChain chain = SamplerChain.of(REGISTRY, List.of("greedy"), Map.of());
        SamplerChain.State state = chain.newState(LOGITS.length, SamplerChain.seededRandom(1));
        for (int i = 0; i < 10; i++) assertEquals(1, chain.sample(LOGITS, new int[0], 0, state));
        // The default chain at temperature 0 is greedy too.
        SamplerChain cold = SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, Map.of("temperature", 0));
        assertEquals(1, cold.sample(LOGITS, new int[0], 0, cold.newState(LOGITS.length, SamplerChain.seededRandom(2))));
    }

    // --- mirostat v2 ---

    @Test
    void mirostatTruncatesBySurpriseAndUpdatesMuByTheFormula() {
        // p = 0.5, 0.25, 0.125, 0.0625, 0.03125, 0.03125: surprises 1, 2, 3, 4, 5, 5 bits.
        float[] l = Steps.logOf(0.5, 0.25, 0.125, 0.0625, 0.03125, 0.03125);
        double tau = 1.75, eta = 0.2;
        Sampler s = Steps.sampler("mirostat-v2");
        Steps.Context ctx = new Steps.Context(s, Map.of("mirostat_tau", tau, "mirostat_eta", eta), new int[0], 5);
        double mu = 2 * tau; // 3.5 bits: keeps the tokens of surprise 1, 2, 3
        for (int step = 0; step < 50; step++) {
            Candidates c = candidates(l);
            s.apply(c, ctx);
            int chosen = c.selected();
            // Reference: keep p ≥ 2^-μ (at least the best), renormalize, surprise of the drawn token.
            double[] p = Steps.softmax(l, 1);
            double keptMass = 0;
            boolean any = false;
            for (double x : p) if (-Math.log(x) / Math.log(2) <= mu) { keptMass += x; any = true; }
            if (!any) keptMass = p[0];
            assertTrue(-Math.log(p[chosen]) / Math.log(2) <= mu || chosen == 0 && !any, "drew a token above μ: " + chosen);
            double surprise = -Math.log(p[chosen] / keptMass) / Math.log(2);
            mu = mu - eta * (surprise - tau);
            assertEquals(mu, (Double) ctx.state().get(MirostatV2.MU), 1e-5, "μ after step " + step);
        }
    }

    @Test
    void mirostatSteersTheAverageSurpriseToTau() {
        // A Zipf-like distribution over 2,000 tokens.
        float[] l = new float[2000];
        for (int i = 0; i < l.length; i++) l[i] = (float) (-1.1 * Math.log(i + 1));
        double tau = 4.0, eta = 0.1;
        SamplerChain chain = SamplerChain.of(REGISTRY, List.of("mirostat-v2"), Map.of("mirostat_tau", tau, "mirostat_eta", eta));
        SamplerChain.State state = chain.newState(l.length, SamplerChain.seededRandom(8));
        double previous = 2 * tau, total = 0;
        int measured = 0;
        for (int i = 0; i < 20_000; i++) {
            chain.sample(l, new int[0], 0, state);
            double mu = (Double) state.state().get(MirostatV2.MU);
            double surprise = tau + (previous - mu) / eta; // μ' = μ - η(s - τ)
            previous = mu;
            if (i >= 2_000) {
                total += surprise;
                measured++;
            }
        }
        double mean = total / measured;
        assertEquals(tau, mean, 0.1, "mean surprise " + mean);
    }

    @Test
    void mirostatStateIsPerRequest() {
        SamplerChain chain = SamplerChain.of(REGISTRY, List.of("temperature", "mirostat-v2"), Map.of());
        float[] l = Steps.logOf(0.5, 0.25, 0.125, 0.125);
        SamplerChain.State a = chain.newState(4, SamplerChain.seededRandom(1));
        for (int i = 0; i < 5; i++) chain.sample(l, new int[0], 0, a);
        Object muA = a.state().get(MirostatV2.MU);
        SamplerChain.State b = chain.newState(4, SamplerChain.seededRandom(1));
        assertFalse(b.state().containsKey(MirostatV2.MU), "a new request starts at μ = 2τ");
        chain.sample(l, new int[0], 0, b);
        assertEquals(muA, a.state().get(MirostatV2.MU), "another request's token leaves this μ alone");
        assertTrue(b.state().get(MirostatV2.MU) instanceof Double);
    }
}
