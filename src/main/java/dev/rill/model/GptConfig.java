package dev.rill.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The sizes of a GPT and the positional encoding it uses, as plain data.
 *
 * @param nVocab           vocabulary size
 * @param T                context size (training window, and the longest prompt for {@code learned} positions)
 * @param nLayer           transformer blocks
 * @param nHead            attention heads
 * @param nEmb             embedding width (divisible by {@code nHead})
 * @param maxContext       longest context generation may use ({@code T} for learned positions)
 * @param positional       name of the positional-encoding plugin
 * @param positionalParams its parameters
 */
public record GptConfig(int nVocab, int T, int nLayer, int nHead, int nEmb, int maxContext,
                        String positional, Map<String, Object> positionalParams) {

    public GptConfig {
        positionalParams = positionalParams == null ? Map.of() : Map.copyOf(positionalParams);
        if (maxContext == 0) maxContext = T;
        List<String> errors = new ArrayList<>();
        if (nVocab <= 0) errors.add("nVocab must be > 0 (got " + nVocab + ")");
        if (T <= 0) errors.add("T (context size) must be > 0 (got " + T + ")");
        if (nLayer <= 0) errors.add("nLayer must be > 0 (got " + nLayer + ")");
        if (nHead <= 0) errors.add("nHead must be > 0 (got " + nHead + ")");
        if (nEmb <= 0) errors.add("nEmb must be > 0 (got " + nEmb + ")");
        if (nEmb > 0 && nHead > 0 && nEmb % nHead != 0) {
            errors.add("nEmb (" + nEmb + ") must be divisible by nHead (" + nHead + ")");
        }
        if (T > 0 && maxContext < T) errors.add("maxContext (" + maxContext + ") must be ≥ T (" + T + ")");
        if (!errors.isEmpty()) throw new IllegalArgumentException("invalid model sizes: " + String.join("; ", errors));
    }

    public int headDim() {
        return nEmb / nHead;
    }

    public GptConfig withVocab(int n) {
        return new GptConfig(n, T, nLayer, nHead, nEmb, maxContext, positional, positionalParams);
    }
}
