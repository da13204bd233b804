package dev.rill.positional;

import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.PositionalEncoding;

import java.util.Map;
import java.util.SplittableRandom;

/** Small GPTs built the way a user's config builds them: the encoding resolved by name through the registry. */
final class TinyGpt {

    static final PluginRegistry REGISTRY = PluginRegistry.load();

    /** Every encoding this module provides, with the parameters a test runs it with. */
    static final Map<String, Map<String, Object>> VARIANTS = Map.of(
            "learned", Map.of(),
            "sinusoidal", Map.of(),
            "sinusoidal-paper", Map.of("scale", 1, "base", 100),
            "rope", Map.of(),
            "rope-half", Map.of("pairing", "half", "base", 100),
            "rope-llama3", Map.of("scaling", "llama3", "factor", 4, "original_context", 16, "base", 500),
            "alibi", Map.of(),
            "none", Map.of());

    private TinyGpt() {
    }

    /** The plugin name of a variant ({@code rope-half} → {@code rope}). */
    static String encoding(String variant) {
        int dash = variant.indexOf('-');
        return dash < 0 ? variant : variant.substring(0, dash);
    }

    static Gpt build(String variant, int nVocab, int T, int nLayer, int nHead, int nEmb, int maxContext) {
        String name = encoding(variant);
        Map<String, Object> params = VARIANTS.get(variant);
        GptConfig config = new GptConfig(nVocab, T, nLayer, nHead, nEmb, maxContext, name, params);
        PositionalEncoding pe = REGISTRY.get(PositionalEncoding.class, name);
        return new Gpt(config, pe.create(Gpt.shape(config), pe.params(params)));
    }

    /**
     * GPT-2 initialisation, then every parameter pushed by N(0, std²): large enough that attention
     * is far from uniform (so positions matter) and every gradient stands well above float rounding.
     */
    static void randomize(Gpt gpt, long seed, double std) {
        gpt.initialize(seed);
        SplittableRandom random = new SplittableRandom(seed + 1);
        for (int i = 0; i < gpt.params.length; i++) gpt.params[i] += (float) (random.nextGaussian() * std);
    }

    static int[] tokens(SplittableRandom random, int n, int nVocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = random.nextInt(nVocab);
        return t;
    }
}
