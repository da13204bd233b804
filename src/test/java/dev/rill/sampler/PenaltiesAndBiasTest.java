package dev.rill.sampler;

import dev.rill.sampling.SamplerChain;
import dev.rill.spi.Candidates;
import dev.rill.spi.Sampler;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.rill.sampler.Chains.REGISTRY;
import static dev.rill.sampler.Steps.candidates;
import static dev.rill.sampler.Steps.logitsById;
import static dev.rill.sampler.Steps.reversed;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Penalties and logit bias change the logits exactly as their formulas say. */
class PenaltiesAndBiasTest {

    static final float[] LOGITS = {2f, -3f, 1.5f, 0f, 4f};

    static float[] penalize(Candidates c, Map<String, ?> values, int... history) {
        Sampler s = Steps.sampler("penalties");
        s.apply(c, new Steps.Context(s, values, history, 1));
        return logitsById(c, LOGITS.length);
    }

    static Map<String, Object> penalties(double repeat, double frequency, double presence, int lastN) {
        return Map.of("repeat_penalty", repeat, "frequency_penalty", frequency, "presence_penalty", presence, "penalty_last_n", lastN);
    }

    @Test
    void penaltiesFollowTheLlamaCppFormula() {
        // Window of the last 5 tokens: [0, 4, 4, 4, 2] → counts 0:1, 2:1, 4:3; tokens 1 and 3 are outside.
        int[] history = {0, 1, 0, 4, 4, 4, 2};
        float r = 1.5f, f = 0.25f, p = 0.5f;
        float[] expected = {
                2f / r - (1 * f + p),    // positive logit: divided
                -3f,                     // not in the window
                1.5f / r - (1 * f + p),
                0f,                      // not in the window
                4f / r - (3 * f + p),    // count 3
        };
        for (Candidates c : new Candidates[]{candidates(LOGITS), reversed(LOGITS)}) {
            assertArrayEquals(expected, penalize(c, penalties(r, f, p, 5), history));
            assertEquals(false, c.sorted);
        }
    }

    @Test
    void negativeAndZeroLogitsAreMultipliedAndTheWholeHistoryCountsWithMinusOne() {
        int[] history = {0, 1, 0, 4, 4, 4, 2, 3};
        float r = 1.5f, f = 0.25f, p = 0.5f;
        float[] expected = {
                2f / r - (2 * f + p),
                -3f * r - (1 * f + p),   // negative logit: multiplied, so it becomes less likely too
                1.5f / r - (1 * f + p),
                0f * r - (1 * f + p),    // zero counts as "≤ 0"
                4f / r - (3 * f + p),
        };
        assertArrayEquals(expected, penalize(candidates(LOGITS), penalties(r, f, p, -1), history));
        // A window longer than the history is the whole history.
        assertArrayEquals(expected, penalize(candidates(LOGITS), penalties(r, f, p, 1000), history));
    }

    @Test
    void neutralOrEmptyPenaltiesChangeNothing() {
        int[] history = {0, 4, 4};
        assertArrayEquals(LOGITS, penalize(candidates(LOGITS), penalties(1.0, 0, 0, 64), history));
        assertArrayEquals(LOGITS, penalize(candidates(LOGITS), penalties(1.3, 0.5, 0.5, 0), history));
        assertArrayEquals(LOGITS, penalize(candidates(LOGITS), penalties(1.3, 0.5, 0.5, 64)));
        // Negative frequency and presence penalties encourage repeats.
        float[] boosted = penalize(candidates(LOGITS), penalties(1.0, -0.5, -1.0, 64), history);
        assertEquals(4f - (2 * -0.5f + -1f), boosted[4]);
    }

    @Test
    void penaltiesOnlyTouchLiveTokensAndRepeatedCallsDoNotAccumulate() {
        Sampler s = Steps.sampler("penalties");
        Steps.Context ctx = new Steps.Context(s, penalties(2.0, 0, 0, 64), new int[]{4, 4, 0}, 1);
        for (int round = 0; round < 3; round++) {
            Candidates c = candidates(LOGITS);
            Steps.apply("top-k", Map.of("top_k", 2), c); // keeps tokens 4 and 0
            s.apply(c, ctx);
            float[] byId = logitsById(c, LOGITS.length);
            assertEquals(1f, byId[0]);
            assertEquals(2f, byId[4]);
            assertTrue(Float.isNaN(byId[2]));
        }
    }

    @Test
    void historyTokensOutsideTheVocabularyAreRejected() {
        var e = assertThrows(IllegalArgumentException.class, () -> penalize(candidates(LOGITS), penalties(1.1, 0, 0, 64), 1, 9));
        assertTrue(e.getMessage().contains("history token 9"), e.getMessage());
    }

    // --- logit bias ---

    static float[] bias(Candidates c, Object value) {
        Sampler s = Steps.sampler("logit-bias");
        Map<String, Object> values = new HashMap<>();
        values.put("logit_bias", value);
        s.apply(c, new Steps.Context(s, values, new int[0], 1));
        return logitsById(c, c.capacity());
    }

    @Test
    void logitBiasAddsAndMinusInfinityBans() {
        float[] expected = {2f + 2.5f, -3f, 1.5f - 1f, Float.NEGATIVE_INFINITY, 4f};
        String json = "{\"0\": 2.5, \"3\": \"-inf\", \"2\": -1}";
        assertArrayEquals(expected, bias(candidates(LOGITS), json));
        assertArrayEquals(expected, bias(reversed(LOGITS), json));
        // The same as a parsed map (ids as numbers or strings), and false bans as in llama.cpp.
        assertArrayEquals(expected, bias(candidates(LOGITS), Map.of(0, 2.5, "3", false, "2", -1)));
        assertArrayEquals(LOGITS, bias(candidates(LOGITS), "{}"));
    }

    @Test
    void aBannedTokenIsNeverDrawnAndBanningAllIsAnError() {
        SamplerChain chain = SamplerChain.of(REGISTRY, List.of("logit-bias", "dist"), Map.of("logit_bias", "{\"4\": \"-inf\", \"0\": \"-inf\"}"));
        SamplerChain.State state = chain.newState(LOGITS.length, SamplerChain.seededRandom(3));
        for (int i = 0; i < 20_000; i++) {
            int token = chain.sample(LOGITS, new int[0], 0, state);
            assertNotEquals(4, token);
            assertNotEquals(0, token);
        }
        SamplerChain all = SamplerChain.of(REGISTRY, List.of("logit-bias", "temperature", "greedy"),
                Map.of("logit_bias", Map.of(0, "-inf", 1, "-inf", 2, "-inf", 3, "-inf", 4, "-inf"), "temperature", 0));
        var e = assertThrows(IllegalStateException.class,
                () -> all.sample(LOGITS, new int[0], 0, all.newState(LOGITS.length, SamplerChain.seededRandom(1))));
        assertTrue(e.getMessage().contains("probability zero"), e.getMessage());
        SamplerChain allDist = SamplerChain.of(REGISTRY, List.of("logit-bias", "top-k", "top-p", "min-p", "temperature", "dist"),
                Map.of("logit_bias", Map.of(0, "-inf", 1, "-inf", 2, "-inf", 3, "-inf", 4, "-inf")));
        assertThrows(IllegalStateException.class,
                () -> allDist.sample(LOGITS, new int[0], 0, allDist.newState(LOGITS.length, SamplerChain.seededRandom(1))));
    }

    @Test
    void badLogitBiasValuesFailWhenTheChainIsBuilt() {
        Map<String, String> bad = Map.of(
                "not json", "not valid JSON",
                "[1, 2]", "must be a JSON object",
                "{\"a\": 1}", "key 'a' is not a token id",
                "{\"-1\": 1}", "key '-1' is not a token id",
                "{\"1\": 101}", "expected a number in [-100, 100]",
                "{\"1\": \"x\"}", "the bias for token 1 is x",
                "{\"1\": 1, \"01\": 2}", "token id 1 is given twice");
        for (var e : bad.entrySet()) {
            var thrown = assertThrows(IllegalArgumentException.class,
                    () -> SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, Map.of("logit_bias", e.getKey())), e.getKey());
            assertTrue(thrown.getMessage().contains("logit_bias") && thrown.getMessage().contains(e.getValue()),
                    e.getKey() + " → " + thrown.getMessage());
        }
    }

    @Test
    void aTokenIdOutsideTheVocabularyFailsAtTheFirstToken() {
        SamplerChain chain = SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, Map.of("logit_bias", "{\"5\": 1}"));
        var e = assertThrows(IllegalArgumentException.class,
                () -> chain.sample(LOGITS, new int[0], 0, chain.newState(LOGITS.length, SamplerChain.seededRandom(1))));
        assertTrue(e.getMessage().contains("token id 5 is outside the vocabulary of 5 tokens"), e.getMessage());
    }

    @Test
    void logitBiasIsStoredAsCanonicalJson() {
        SamplerChain chain = SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, Map.of("logit_bias", Map.of("7", -100, 3, "-Infinity")));
        assertEquals("{\"3\":\"-inf\",\"7\":-100.0}", chain.parameters().get("logit_bias"));
    }
}
