package dev.rill.sampler;

import dev.rill.sampling.SamplerChain;
import dev.rill.sampling.SamplingTrace;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.rill.sampler.Chains.REGISTRY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A trace of one sampling call: the stages' best candidates and probabilities, and the draw. */
class SamplingTraceTest {

    static final float[] LOGITS = {0f, 4f, 1f, 3f, 2f};
    static final SamplerChain CHAIN = SamplerChain.of(REGISTRY, List.of("top-k", "temperature", "dist"), Map.of("top_k", 3, "temperature", 0.5));

    static SamplingTrace trace(int top, long seed) {
        SamplingTrace trace = new SamplingTrace(top);
        SamplerChain chain = CHAIN.observed(trace);
        chain.sample(LOGITS.clone(), null, 0, chain.newState(LOGITS.length, SamplerChain.seededRandom(seed)));
        return trace;
    }

    @Test
    void eachStageShowsItsBestCandidatesWithTheSoftmaxOfTheLiveLogits() {
        SamplingTrace t = trace(2, 1);
        List<SamplingTrace.Stage> stages = t.stages();
        assertEquals(List.of(-1, 0, 1, 2), stages.stream().map(SamplingTrace.Stage::step).toList());
        assertEquals(List.of(5, 3, 3, 3), stages.stream().map(SamplingTrace.Stage::alive).toList());
        // The model's distribution: softmax over all five logits.
        double all = Math.exp(0) + Math.exp(4) + Math.exp(1) + Math.exp(3) + Math.exp(2);
        SamplingTrace.Stage logits = stages.getFirst();
        assertEquals(List.of(1, 3), logits.top().stream().map(SamplingTrace.Entry::tokenId).toList());
        assertEquals(Math.exp(4) / all, logits.top().get(0).probability(), 1e-12);
        assertEquals(Math.exp(3) / all, logits.top().get(1).probability(), 1e-12);
        // After top-k 3: renormalised over 4, 3, 2.
        double kept = Math.exp(4) + Math.exp(3) + Math.exp(2);
        assertEquals(Math.exp(4) / kept, stages.get(1).top().get(0).probability(), 1e-12);
        // After temperature 0.5: logits (l - 4) / 0.5 = 0, -2, -4.
        double sharp = 1 + Math.exp(-2) + Math.exp(-4);
        assertEquals(0f, stages.get(2).top().get(0).logit());
        assertEquals(-2f, stages.get(2).top().get(1).logit());
        assertEquals(1 / sharp, stages.get(2).top().get(0).probability(), 1e-7);
        assertTrue(List.of(1, 3, 4).contains(t.selected()), "drawn " + t.selected());
        double expected = Math.exp(-2.0 * (4 - LOGITS[t.selected()])) / sharp;
        assertEquals(expected, t.selectedProbability(), 1e-7);
    }

    @Test
    void theLastStagesProbabilitiesAreWhatTheDrawSamples() {
        int n = 20_000;
        int[] count = new int[LOGITS.length];
        for (long seed = 0; seed < n; seed++) count[trace(1, seed).selected()]++;
        SamplingTrace t = trace(3, 0);
        for (SamplingTrace.Entry e : t.stages().getLast().top()) {
            double p = e.probability();
            double sigma = Math.sqrt(p * (1 - p) / n);
            assertEquals(p, (double) count[e.tokenId()] / n, 4 * sigma, "token " + e.tokenId());
        }
        assertEquals(0, count[0] + count[2], "top-k 3 removed tokens 0 and 2");
    }

    @Test
    void topMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> new SamplingTrace(0));
    }
}
