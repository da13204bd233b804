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

    /**
     * Parameters of a {@link Gpt} of these sizes, counted in {@code long} without overflow
     * ({@link Long#MAX_VALUE} when even that overflows): token embedding {@code nVocab × nEmb}, the
     * positional encoder's own tensors, {@code 12·nEmb² + 13·nEmb} per block (two LayerNorms,
     * attention's q/k/v and projection with biases, the MLP's 4× expansion with biases), and the
     * final LayerNorm. A checkpoint's loader checks this before anything is allocated.
     *
     * @param positionalShapes the shapes of the positional encoder's tensors (learned: {@code [T, nEmb]})
     */
    public long parameterCount(List<int[]> positionalShapes) {
        try {
            long C = nEmb;
            long n = Math.multiplyExact((long) nVocab, C);
            for (int[] shape : positionalShapes) {
                long size = 1;
                for (int d : shape) size = Math.multiplyExact(size, (long) d);
                n = Math.addExact(n, size);
            }
            long perBlock = Math.addExact(Math.multiplyExact(12L, Math.multiplyExact(C, C)), 13L * C);
            n = Math.addExact(n, Math.multiplyExact(perBlock, (long) nLayer));
            return Math.addExact(n, 2L * C);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Bytes of one sequence's KV cache over {@code maxContext} (keys and values in half precision, as the cpu backend caches them; every block). */
    public long kvCacheBytes() {
        try {
            return Math.multiplyExact(Math.multiplyExact(Math.multiplyExact(2L * 2L, (long) nLayer), (long) maxContext), (long) nEmb);
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    public GptConfig withVocab(int n) {
        return new GptConfig(n, T, nLayer, nHead, nEmb, maxContext, positional, positionalParams);
    }
}
