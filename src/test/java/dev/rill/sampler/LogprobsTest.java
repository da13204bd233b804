package dev.rill.sampler;

import dev.rill.sampling.SamplerChain;
import dev.rill.sampling.TokenLogprobs;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.rill.sampler.Chains.REGISTRY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The chain's log-probabilities: those of the distribution the selecting step drew from, computed here in double. */
class LogprobsTest {

    static final float[] LOGITS = {1.0f, 0.5f, 3.0f, -0.3f, 2.0f, 2.0f, -1.0f};

    static TokenLogprobs draw(List<String> chain, Map<String, ?> params, int top) {
        SamplerChain c = SamplerChain.of(REGISTRY, chain, params);
        SamplerChain.State state = c.newState(LOGITS.length, SamplerChain.seededRandom(3));
        int token = c.sample(LOGITS, new int[0], 0, state);
        return c.logprobs(state, token, top);
    }

    /** log softmax(logits[kept] / t), in double. */
    static double logp(int id, double t, int... kept) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (int k : kept) max = Math.max(max, LOGITS[k] / t);
        for (int k : kept) sum += Math.exp(LOGITS[k] / t - max);
        return LOGITS[id] / t - max - Math.log(sum);
    }

    @Test
    void afterTemperatureOverTheWholeVocabulary() {
        TokenLogprobs lp = draw(List.of("temperature", "dist"), Map.of("temperature", 0.5), 3);
        int[] all = {0, 1, 2, 3, 4, 5, 6};
        assertEquals(logp(lp.tokenId(), 0.5, all), lp.logprob(), 1e-6);
        assertArrayEquals(new int[]{2, 4, 5}, lp.topIds(), "most likely first, ties by id");
        for (int k = 0; k < 3; k++) assertEquals(logp(lp.topIds()[k], 0.5, all), lp.topLogprobs()[k], 1e-6);
    }

    @Test
    void afterAFilterOnlyWhatItKeptHasProbability() {
        TokenLogprobs lp = draw(List.of("top-k", "dist"), Map.of("top_k", 2), 5);
        assertArrayEquals(new int[]{2, 4}, lp.topIds(), "the tie at the cut goes to the lower id, and only 2 survive");
        assertEquals(logp(2, 1, 2, 4), lp.topLogprobs()[0], 1e-6);
        assertEquals(logp(lp.tokenId(), 1, 2, 4), lp.logprob(), 1e-6);
    }

    @Test
    void aDeterministicChoiceIsCertain() {
        for (var chain : List.of(List.of("greedy"), List.of("temperature", "dist"))) {
            TokenLogprobs lp = draw(chain, chain.contains("temperature") ? Map.of("temperature", 0.0) : Map.of(), 4);
            assertEquals(2, lp.tokenId());
            assertEquals(0f, lp.logprob());
            assertArrayEquals(new int[]{2}, lp.topIds());
        }
    }
}
