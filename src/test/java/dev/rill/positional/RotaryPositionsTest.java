package dev.rill.positional;

import dev.rill.model.Gpt;
import dev.rill.model.GptConfig;
import dev.rill.spi.ModelShape;
import dev.rill.spi.PositionalEncoder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RotaryPositionsTest {

    static PositionalEncoder rope(int headDim, int maxContext, Map<String, ?> params) {
        RotaryPositions r = new RotaryPositions();
        return r.create(new ModelShape(2 * headDim, 2, headDim, Math.min(16, maxContext), maxContext), r.params(params));
    }

    static float[] rotated(PositionalEncoder pe, float[] v, int pos) {
        float[] c = v.clone();
        pe.rotate(c, 0, pos);
        return c;
    }

    static float[] unit(int n, int k) {
        float[] e = new float[n];
        e[k] = 1f;
        return e;
    }

    static float[] gaussian(SplittableRandom random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) random.nextGaussian();
        return v;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += (double) a[i] * b[i];
        return s;
    }

    @Test
    void knownRotationsForBothPairings() {
        // headDim 4, base 10000: θ_0 = 1, θ_1 = 10000^(−1/2) = 0.01.
        float c1 = (float) Math.cos(1), s1 = (float) Math.sin(1), c3 = (float) Math.cos(0.03), s3 = (float) Math.sin(0.03);
        PositionalEncoder adjacent = rope(4, 64, Map.of());
        assertArrayEquals(new float[]{c1, s1, 0, 0}, rotated(adjacent, unit(4, 0), 1), 1e-7f);
        assertArrayEquals(new float[]{-s1, c1, 0, 0}, rotated(adjacent, unit(4, 1), 1), 1e-7f);
        assertArrayEquals(new float[]{0, 0, c3, s3}, rotated(adjacent, unit(4, 2), 3), 1e-7f);
        PositionalEncoder half = rope(4, 64, Map.of("pairing", "half"));
        assertArrayEquals(new float[]{c1, 0, s1, 0}, rotated(half, unit(4, 0), 1), 1e-7f);
        assertArrayEquals(new float[]{-s1, 0, c1, 0}, rotated(half, unit(4, 2), 1), 1e-7f);
        assertArrayEquals(new float[]{0, c3, 0, s3}, rotated(half, unit(4, 1), 3), 1e-7f);
        float[] v = {0.3f, -1.2f, 2.5f, 0.7f};
        assertArrayEquals(v, rotated(adjacent, v, 0), 0f);
        assertArrayEquals(v, rotated(half, v, 0), 0f);
    }

    @ParameterizedTest
    @ValueSource(strings = {"adjacent", "half"})
    void scoresDependOnlyOnTheOffset(String pairing) {
        int hs = 16;
        PositionalEncoder pe = rope(hs, 4096, Map.of("pairing", pairing));
        SplittableRandom random = new SplittableRandom(5);
        for (int trial = 0; trial < 3; trial++) {
            float[] q = gaussian(random, hs), k = gaussian(random, hs);
            double previous = Double.NaN;
            for (int delta : new int[]{0, 1, 5, 37, 500}) {
                double reference = dot(q, rotated(pe, k, delta));    // ⟨R(0)q, R(Δ)k⟩
                for (int m : new int[]{1, 17, 300, 3000}) {
                    double score = dot(rotated(pe, q, m), rotated(pe, k, m + delta));
                    assertEquals(reference, score, 1e-4 * hs, pairing + " m=" + m + " Δ=" + delta);
                }
                // The offset does matter: neighbouring offsets give different scores.
                if (!Double.isNaN(previous)) assertTrue(Math.abs(reference - previous) > 1e-3, "scores of offsets must differ");
                previous = reference;
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"adjacent", "half"})
    void backwardIsTheTransposeOfTheRotation(String pairing) {
        int hs = 12;
        PositionalEncoder pe = rope(hs, 1000, Map.of("pairing", pairing, "base", 300));
        SplittableRandom random = new SplittableRandom(9);
        for (int pos : new int[]{1, 123, 999}) {
            float[] x = gaussian(random, hs), y = gaussian(random, hs);
            float[] rty = y.clone();
            pe.rotateBackward(rty, 0, pos);
            assertEquals(dot(rotated(pe, x, pos), y), dot(x, rty), 1e-5);         // ⟨Rx, y⟩ = ⟨x, Rᵀy⟩
            float[] back = rotated(pe, x, pos);
            pe.rotateBackward(back, 0, pos);
            assertArrayEquals(x, back, 1e-5f);                                   // RᵀR = I
            assertEquals(dot(x, x), dot(rotated(pe, x, pos), rotated(pe, x, pos)), 1e-4);
        }
    }

    @Test
    void permutationMapsAdjacentPairsToHalves() {
        assertArrayEquals(new int[]{0, 2, 4, 6, 1, 3, 5, 7}, RotaryPositions.halfFromAdjacent(8));
        int hs = 8;
        int[] p = RotaryPositions.halfFromAdjacent(hs);
        PositionalEncoder adjacent = rope(hs, 512, Map.of()), half = rope(hs, 512, Map.of("pairing", "half"));
        SplittableRandom random = new SplittableRandom(2);
        float[] q = gaussian(random, hs), k = gaussian(random, hs);
        float[] qh = permute(q, p), kh = permute(k, p);
        for (int[] mn : new int[][]{{0, 0}, {3, 1}, {40, 7}, {511, 200}}) {
            float[] ra = rotated(adjacent, q, mn[0]), rh = rotated(half, qh, mn[0]);
            assertArrayEquals(permute(ra, p), rh, 1e-6f);                          // R_half(m)·P = P·R_adjacent(m)
            assertEquals(dot(ra, rotated(adjacent, k, mn[1])), dot(rh, rotated(half, kh, mn[1])), 1e-5);
        }
    }

    static float[] permute(float[] v, int[] p) {
        float[] out = new float[v.length];
        for (int j = 0; j < v.length; j++) out[j] = v[p[j]];
        return out;
    }

    @Test
    void modelsWithEitherPairingAgreeAfterPermutingQueryAndKeyWeights() {
        int V = 13, T = 12, L = 2, NH = 2, C = 16, hs = C / NH;
        Gpt adjacent = model(V, T, L, NH, C, "adjacent"), half = model(V, T, L, NH, C, "half");
        TinyGpt.randomize(adjacent, 21, 0.3);
        System.arraycopy(adjacent.params, 0, half.params, 0, adjacent.params.length);
        int[] tokens = TinyGpt.tokens(new SplittableRandom(4), T, V);
        float[] before = logits(half, tokens, T);
        int[] p = RotaryPositions.halfFromAdjacent(hs);
        for (int l = 0; l < L; l++) {
            // c_attn.weight is (C in, 3C out), row-major; columns [0, C) are queries, [C, 2C) keys.
            int w = half.parameter("transformer.h." + l + ".attn.c_attn.weight").offset();
            int b = half.parameter("transformer.h." + l + ".attn.c_attn.bias").offset();
            for (int part = 0; part < 2; part++) {
                for (int h = 0; h < NH; h++) {
                    int col0 = part * C + h * hs;
                    for (int j = 0; j < hs; j++) {
                        int to = col0 + j, from = col0 + p[j];
                        for (int in = 0; in < C; in++) half.params[w + in * 3 * C + to] = adjacent.params[w + in * 3 * C + from];
                        half.params[b + to] = adjacent.params[b + from];
                    }
                }
            }
        }
        float[] expected = logits(adjacent, tokens, T), actual = logits(half, tokens, T);
        assertArrayEquals(expected, actual, 1e-4f);
        double unpermuted = 0;
        for (int i = 0; i < expected.length; i++) unpermuted = Math.max(unpermuted, Math.abs(expected[i] - before[i]));
        assertTrue(unpermuted > 1e-2, "without the permutation the pairings must disagree (" + unpermuted + ")");
    }

    static Gpt model(int V, int T, int L, int NH, int C, String pairing) {
        Map<String, Object> params = Map.of("pairing", pairing);
        GptConfig config = new GptConfig(V, T, L, NH, C, T, "rope", params);
        RotaryPositions r = new RotaryPositions();
        return new Gpt(config, r.create(Gpt.shape(config), r.params(params)));
    }

    static float[] logits(Gpt gpt, int[] tokens, int T) {
        gpt.forward(tokens, null, 1, T);
        return gpt.logits().clone();
    }

    /** The angle pair {@code i} turns by from position 0 to 1: θ_i after scaling. */
    static double theta(PositionalEncoder pe, int hs, int i) {
        float[] v = rotated(pe, unit(hs, 2 * i), 1);
        return Math.atan2(v[2 * i + 1], v[2 * i]);
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        int hs = 32;
        PositionalEncoder plain = rope(hs, 64, Map.of()), scaled = rope(hs, 64, Map.of("scaling", "linear", "factor", 4));
        for (int i = 0; i < hs / 2; i++) {
            double expected = Math.pow(10000, -2.0 * i / hs);
            assertEquals(expected, theta(plain, hs, i), 1e-6 * expected);
            assertEquals(expected / 4, theta(scaled, hs, i), 1e-6 * expected);
        }
    }

    @Test
    void llama3ScalingFollowsLlama31() {
        // Llama 3.1's published settings: rope_theta 500000, factor 8, low 1, high 4, original 8192; head_dim 64.
        int hs = 64;
        PositionalEncoder pe = rope(hs, 64, Map.of("base", 500000, "scaling", "llama3", "factor", 8,
                "low_freq_factor", 1, "high_freq_factor", 4, "original_context", 8192));
        int kept = 0, divided = 0, blended = 0;
        for (int i = 0; i < hs / 2; i++) {
            double f = Math.pow(500000, -2.0 * i / hs), wavelength = 2 * Math.PI / f, expected;
            if (wavelength < 8192 / 4.0) {
                expected = f;
                kept++;
            } else if (wavelength > 8192 / 1.0) {
                expected = f / 8;
                divided++;
            } else {
                double smooth = (8192 / wavelength - 1) / (4 - 1);
                expected = (1 - smooth) * f / 8 + smooth * f;
                assertTrue(expected > f / 8 && expected < f);
                blended++;
            }
            assertEquals(expected, theta(pe, hs, i), 1e-5 * expected, "θ_" + i);
        }
        assertEquals(1.0, theta(pe, hs, 0), 1e-6);                       // the fastest pair is untouched
        assertTrue(kept > 0 && divided > 0 && blended > 0, kept + " kept, " + divided + " divided, " + blended + " blended");
    }

    @Test
    void definedUpToTheMaximumContextAndNoFurther() {
        PositionalEncoder pe = rope(8, 100, Map.of());
        assertEquals(100, pe.maxPositions());
        rotated(pe, unit(8, 0), 99);
        var e = assertThrows(IllegalArgumentException.class, () -> rotated(pe, unit(8, 0), 100));
        assertTrue(e.getMessage().contains("rope") && e.getMessage().contains("0..99"), e.getMessage());
    }
}
