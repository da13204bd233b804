package dev.rill.nn;

import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoder;
import dev.rill.tensor.Parallel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Training attention (forward and backward) against the plain definition in double precision, with
 * sequences longer than one block of query rows, so that the causal block limits are exercised.
 */
class AttentionTest {

    private static final PositionalEncoder NONE = new PositionalEncoder() {
        @Override
        public Params params() {
            return Params.EMPTY;
        }

        @Override
        public int maxPositions() {
            return Integer.MAX_VALUE;
        }
    };

    @ParameterizedTest
    @CsvSource({"1,7,1,8,1", "2,70,2,16,1", "1,130,2,8,2", "2,200,3,24,2"})
    void matchesThePlainDefinition(int B, int T, int NH, int C, int threads) {
        int C3 = 3 * C, hs = C / NH;
        SplittableRandom r = new SplittableRandom(B * 1000L + T);
        float[] qkv = random(r, B * T * C3), dout = random(r, B * T * C);
        float[] out = new float[B * T * C], lse = new float[B * NH * T], dqkv = new float[B * T * C3];
        try (Parallel pool = new Parallel(threads)) {
            pool.run(() -> {
                Attention.forward(out, lse, qkv, NONE, B, T, C, NH);
                Attention.backward(dqkv, dout, qkv, lse, NONE, B, T, C, NH);
            });
        }
        double scale = 1 / Math.sqrt(hs);
        double[] wantOut = new double[B * T * C], wantD = new double[B * T * C3];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < NH; h++) {
                int q = h * hs, k = C + h * hs, v = 2 * C + h * hs;
                for (int i = 0; i < T; i++) {
                    int qi = (b * T + i) * C3;
                    double[] p = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY, sum = 0;
                    for (int j = 0; j <= i; j++) {
                        int kj = (b * T + j) * C3;
                        for (int e = 0; e < hs; e++) p[j] += (double) qkv[qi + q + e] * qkv[kj + k + e];
                        p[j] *= scale;
                        max = Math.max(max, p[j]);
                    }
                    for (int j = 0; j <= i; j++) sum += p[j] = Math.exp(p[j] - max);
                    // dP[j] = dout_i · v_j; dS = P ⊙ (dP − Σ P⊙dP)
                    double[] dp = new double[i + 1];
                    double dot = 0;
                    int o = (b * T + i) * C + h * hs;
                    for (int j = 0; j <= i; j++) {
                        p[j] /= sum;
                        int vj = (b * T + j) * C3 + v;
                        for (int e = 0; e < hs; e++) {
                            wantOut[o + e] += p[j] * qkv[vj + e];
                            dp[j] += (double) dout[o + e] * qkv[vj + e];
                            wantD[vj + e] += p[j] * dout[o + e];
                        }
                        dot += p[j] * dp[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        double ds = p[j] * (dp[j] - dot) * scale;
                        int kj = (b * T + j) * C3;
                        for (int e = 0; e < hs; e++) {
                            wantD[qi + q + e] += ds * qkv[kj + k + e];
                            wantD[kj + k + e] += ds * qkv[qi + q + e];
                        }
                    }
                    assertEquals(max + Math.log(sum), lse[(b * NH + h) * T + i], 1e-4, "lse at b " + b + " h " + h + " i " + i);
                }
            }
        }
        for (int i = 0; i < wantOut.length; i++) assertEquals(wantOut[i], out[i], 1e-4, "out at " + i);
        for (int i = 0; i < wantD.length; i++) assertEquals(wantD[i], dqkv[i], 1e-4, "dqkv at " + i);
    }

    private static float[] random(SplittableRandom r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }
}
