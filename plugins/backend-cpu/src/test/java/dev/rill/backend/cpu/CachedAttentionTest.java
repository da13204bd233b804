package dev.rill.backend.cpu;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The cached-attention kernels against their definitions summed plainly in double, on keys and values
 * stored through {@link CpuKvCache#put} (as halves, which the definitions read back with
 * {@link Float#float16ToFloat}): head counts that take the four-head and one-head score
 * paths and the two-head and one-head value paths, head sizes with and without whole vectors, spans
 * that start and end inside a key group, subnormal halves and halves near the largest.
 */
class CachedAttentionTest {

    @Test
    void scoresAndWeightedValuesAreTheirDefinitions() {
        // {query heads, key/value heads, head size}
        int[][] shapes = {{32, 8, 64}, {12, 12, 64}, {7, 1, 80}, {6, 2, 16}, {8, 1, 8}, {3, 3, 5}, {10, 2, 128}};
        SplittableRandom rnd = new SplittableRandom(5);
        for (int[] shape : shapes) {
            int NH = shape[0], NKV = shape[1], hs = shape[2], group = NH / NKV, kd = NKV * hs, n = 100;
            String what = NH + " heads over " + NKV + ", head size " + hs;
            CpuKvCache cache = new CpuKvCache(2, n, kd);
            float[][] k = new float[n][kd], v = new float[n][kd];
            for (int p = 0; p < n; p++) {
                // Positions 1 and 2: halves at the ends of their range (subnormal; near the largest).
                double size = p == 1 ? 1e-6 : p == 2 ? 2e4 : 1;
                for (int c = 0; c < kd; c++) {
                    k[p][c] = (float) (size * rnd.nextGaussian());
                    v[p][c] = (float) (size * rnd.nextGaussian());
                }
                cache.put(1, p, k[p], 0, v[p], 0);
                for (int c = 0; c < kd; c++) {   // as the cache holds them
                    k[p][c] = Float.float16ToFloat(Float.floatToFloat16(k[p][c]));
                    v[p][c] = Float.float16ToFloat(Float.floatToFloat16(v[p][c]));
                }
            }
            float[] q = new float[5 + NH * hs];
            for (int i = 0; i < q.length; i++) q[i] = (float) rnd.nextGaussian();
            int stride = 80;
            for (int[] span : new int[][]{{0, 64}, {16, 1}, {32, 37}, {3, 60}, {80, 20}}) {
                int p0 = span[0], len = span[1], g0 = p0 & -CpuKvCache.KEY_GROUP;
                int groups = (p0 + len - g0 + CpuKvCache.KEY_GROUP - 1) / CpuKvCache.KEY_GROUP;
                float[] scores = new float[NH * stride];
                CachedAttention.scores(q, 5, cache.keys[1], g0, groups, kd, NH, group, hs, 0.3f, scores, stride);
                for (int h = 0; h < NH; h++) {
                    for (int p = p0; p < p0 + len; p++) {
                        double want = 0, size = 0;
                        for (int i = 0; i < hs; i++) {
                            want += (double) q[5 + h * hs + i] * k[p][h / group * hs + i];
                            size += Math.abs((double) q[5 + h * hs + i] * k[p][h / group * hs + i]);
                        }
                        assertEquals(0.3 * want, scores[h * stride + p - g0], 1e-6 * (1 + size), what + ": score of head " + h + " at " + p);
                    }
                }
                float[] out = new float[7 + NH * hs];
                CachedAttention.values(scores, stride, p0 - g0, cache.values[1], p0, len, kd, NH, group, hs, out, 7);
                for (int h = 0; h < NH; h++) {
                    for (int i = 0; i < hs; i++) {
                        double want = 0, size = 0;
                        for (int p = p0; p < p0 + len; p++) {
                            want += (double) scores[h * stride + p - g0] * v[p][h / group * hs + i];
                            size += Math.abs(scores[h * stride + p - g0] * v[p][h / group * hs + i]);
                        }
                        assertEquals(want, out[7 + h * hs + i], 1e-6 * (1 + size), what + ": value " + i + " of head " + h + " over " + p0 + "+" + len);
                    }
                }
            }
        }
    }
}
