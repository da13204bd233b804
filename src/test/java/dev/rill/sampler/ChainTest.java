package dev.rill.sampler;

import dev.rill.plugin.PluginException;
import dev.rill.sampling.SamplerChain;
import dev.rill.spi.Sampler;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static dev.rill.sampler.Chains.REGISTRY;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Building chains: names, parameters, errors; and the same seed giving the same tokens. */
class ChainTest {

    @Test
    void everySamplerIsRegistered() {
        assertEquals(List.of("dist", "grammar", "greedy", "logit-bias", "min-p", "mirostat-v2", "penalties", "temperature", "top-k", "top-p", "typical"),
                REGISTRY.names(Sampler.class));
    }

    @Test
    void theDefaultChainAndItsDefaults() {
        SamplerChain chain = SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, Map.of());
        assertEquals(List.of("logit-bias", "penalties", "top-k", "typical", "top-p", "min-p", "temperature", "dist"), chain.names());
        Map<String, Object> p = chain.parameters();
        assertEquals(0.8, p.get("temperature"));
        assertEquals(40, p.get("top_k"));
        assertEquals(0.95, p.get("top_p"));
        assertEquals(0.05, p.get("min_p"));
        assertEquals(1.0, p.get("typical_p"));
        assertEquals(1.0, p.get("repeat_penalty"));
        assertEquals(64, p.get("penalty_last_n"));
        assertFalse(p.containsKey("logit_bias"));
    }

    @Test
    void distIsAppendedWhenTheLastStepDoesNotSelect() {
        assertEquals(List.of("top-k", "dist"), SamplerChain.of(REGISTRY, List.of("top-k"), Map.of()).names());
        assertEquals(List.of("temperature", "mirostat-v2"), SamplerChain.of(REGISTRY, List.of("temperature", "mirostat-v2"), Map.of()).names());
    }

    @Test
    void unknownSamplerNamesListTheAvailableOnes() {
        var e = assertThrows(PluginException.class, () -> SamplerChain.of(REGISTRY, List.of("top-k", "nucleus"), Map.of()));
        assertTrue(e.getMessage().contains("unknown sampler 'nucleus'") && e.getMessage().contains("top-p, typical"), e.getMessage());
    }

    @Test
    void aSelectingSamplerMustComeLast() {
        var e = assertThrows(IllegalArgumentException.class, () -> SamplerChain.of(REGISTRY, List.of("greedy", "top-k"), Map.of()));
        assertTrue(e.getMessage().contains("'greedy' picks the token, so it must come last"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SamplerChain.of(REGISTRY, List.of(), Map.of()));
    }

    @Test
    void unknownParameterNamesListWhatTheChainAccepts() {
        var e = assertThrows(IllegalArgumentException.class, () -> SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, Map.of("top_q", 0.5)));
        assertTrue(e.getMessage().contains("unknown sampling parameter 'top_q'")
                && e.getMessage().contains("accepts: frequency_penalty, logit_bias, min_keep, min_p"), e.getMessage());
        // A real parameter of a sampler that is not in the chain says which sampler to add.
        e = assertThrows(IllegalArgumentException.class, () -> SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, Map.of("mirostat_tau", 3)));
        assertTrue(e.getMessage().contains("'mirostat_tau' belongs to sampler(s) mirostat-v2"), e.getMessage());
    }

    @Test
    void outOfRangeAndNanValuesNameTheRange() {
        Map<Map<String, Object>, String> bad = Map.of(
                Map.of("top_p", 0), "parameter 'top_p': 0 is not accepted; expected a number in (0, 1]",
                Map.of("top_p", 1.5), "parameter 'top_p': 1.5 is not accepted; expected a number in (0, 1]",
                Map.of("top_p", Double.NaN), "parameter 'top_p': NaN is not accepted",
                Map.of("top_k", -1), "parameter 'top_k': -1 is not accepted; expected an integer in [0, 2147483647]",
                Map.of("top_k", 2.5), "parameter 'top_k': 2.5 is not accepted",
                Map.of("temperature", -0.5), "parameter 'temperature': -0.5 is not accepted; expected a number in [0, 10]",
                Map.of("min_p", "abc"), "parameter 'min_p': abc is not accepted",
                Map.of("repeat_penalty", 0), "parameter 'repeat_penalty': 0 is not accepted; expected a number in (0, 10]",
                Map.of("penalty_last_n", -2), "parameter 'penalty_last_n': -2 is not accepted; expected an integer in [-1, 2147483647]",
                Map.of("presence_penalty", 3), "parameter 'presence_penalty': 3 is not accepted; expected a number in [-2, 2]");
        for (var entry : bad.entrySet()) {
            var e = assertThrows(IllegalArgumentException.class, () -> SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, entry.getKey()));
            assertTrue(e.getMessage().contains(entry.getValue()), entry.getKey() + " → " + e.getMessage());
        }
        var e = assertThrows(IllegalArgumentException.class,
                () -> SamplerChain.of(REGISTRY, List.of("mirostat-v2"), Map.of("mirostat_eta", 2)));
        assertTrue(e.getMessage().contains("expected a number in [0, 1]"), e.getMessage());
    }

    @Test
    void configuredValuesApplyWhereTheyFitAndRequestsMustFit() {
        Map<String, Object> configured = Map.of("top_k", 10, "temperature", 0.5, "mirostat_tau", 3.0);
        // The configured mirostat_tau does not block the default chain...
        SamplerChain chain = SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, configured, Map.of("temperature", 0.9));
        assertEquals(10, chain.parameters().get("top_k"));
        assertEquals(0.9, chain.parameters().get("temperature"), "the request overrides the configuration");
        // ...and a request may swap the chain without clashing with configured values.
        SamplerChain greedy = SamplerChain.of(REGISTRY, List.of("greedy"), configured, Map.of());
        assertEquals(List.of("greedy"), greedy.names());
        // But a configured typo is still an error, and so is a requested parameter the chain lacks.
        assertThrows(IllegalArgumentException.class, () -> SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, Map.of("tempratue", 1), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> SamplerChain.of(REGISTRY, List.of("greedy"), Map.of(), Map.of("top_k", 5)));
    }

    static int[] generate(SamplerChain chain, long seed, int steps) {
        SplittableRandom r = new SplittableRandom(99); // the "model": fixed logits per step
        int nVocab = 500;
        int[] history = new int[steps + 3];
        history[0] = 1;
        history[1] = 2;
        history[2] = 3;
        int length = 3;
        SamplerChain.State state = chain.newState(nVocab, SamplerChain.seededRandom(seed));
        float[] logits = new float[nVocab];
        for (int i = 0; i < steps; i++) {
            for (int j = 0; j < nVocab; j++) logits[j] = (float) (2 * r.nextGaussian());
            history[length] = chain.sample(logits, history, length, state);
            length++;
        }
        return Arrays.copyOfRange(history, 3, length);
    }

    @Test
    void theSameSeedGivesTheSameTokens() {
        Map<String, Object> params = Map.of("repeat_penalty", 1.1, "top_k", 0, "temperature", 1.2);
        SamplerChain chain = SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, params);
        int[] a = generate(chain, 1234, 300);
        int[] b = generate(SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, params), 1234, 300);
        assertArrayEquals(a, b);
        int[] c = generate(chain, 1235, 300);
        assertFalse(Arrays.equals(a, c), "another seed should give other tokens");
        assertTrue(Arrays.stream(a).distinct().count() > 50, "the draws should vary");
    }

    @Test
    void badInputToSampleIsRejected() {
        SamplerChain chain = SamplerChain.of(REGISTRY, SamplerChain.DEFAULT, Map.of());
        SamplerChain.State state = chain.newState(3, SamplerChain.seededRandom(1));
        var e = assertThrows(IllegalArgumentException.class, () -> chain.sample(new float[]{1, Float.NaN, 2}, null, 0, state));
        assertTrue(e.getMessage().contains("token 1 is NaN"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> chain.sample(new float[]{1, 2, 3}, new int[2], 3, state));
        assertThrows(IllegalArgumentException.class, () -> chain.newState(0, SamplerChain.seededRandom(1)));
    }
    @Test
    void anObserverSeesTheLogitsThenEachStepAndChangesNothing() {
        Map<String, Object> params = Map.of("top_k", 3, "temperature", 0.5);
        SamplerChain plain = SamplerChain.of(REGISTRY, List.of("top-k", "temperature", "dist"), params);
        List<String> seen = new java.util.ArrayList<>();
        SamplerChain observed = plain.observed((step, c) -> {
            StringBuilder line = new StringBuilder(step + ":" + c.size);
            for (int i = 0; i < c.size; i++) line.append(' ').append(c.ids[i]).append('=').append(c.logits[i]);
            if (c.selected() >= 0) line.append(" -> ").append(c.selected());
            seen.add(line.toString());
        });
        float[] logits = {0f, 4f, 1f, 3f, 2f};
        int drawn = observed.sample(logits.clone(), null, 0, observed.newState(5, SamplerChain.seededRandom(9)));
        assertEquals(plain.sample(logits.clone(), null, 0, plain.newState(5, SamplerChain.seededRandom(9))), drawn,
                "observing must not change the draw");
        assertEquals(List.of(
                "-1:5 0=0.0 1=4.0 2=1.0 3=3.0 4=2.0",      // the model's logits, in id order
                "0:3 1=4.0 3=3.0 4=2.0",                   // top-k 3
                "1:3 1=0.0 3=-2.0 4=-4.0",                 // (logit - max) / 0.5
                "2:3 1=0.0 3=-2.0 4=-4.0 -> " + drawn), seen);
    }
}
