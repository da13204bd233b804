package dev.rill.nn;

import dev.rill.tensor.Parallel;
import dev.rill.tensor.Vec;

/** LayerNorm with scale and shift over the last dimension ({@code eps = 1e-5}, as GPT-2). */
public final class LayerNorm {

    public static final float EPS = 1e-5f;

    private LayerNorm() {
    }

    /** {@code out[n] = (inp[n] - mean) * rstd * weight + bias}; saves mean and rstd per row for backward. */
    public static void forward(float[] out, float[] mean, float[] rstd, float[] inp, float[] w, int wOff,
                               float[] b, int bOff, int N, int C) {
        Parallel.forRange(N, 16, (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                int x = n * C;
                float m = Vec.sum(inp, x, C) / C;
                float v = 0f;
                for (int i = 0; i < C; i++) {
                    float d = inp[x + i] - m;
                    v += d * d;
                }
                float s = (float) (1.0 / Math.sqrt(v / C + EPS));
                for (int i = 0; i < C; i++) out[x + i] = (inp[x + i] - m) * s * w[wOff + i] + b[bOff + i];
                if (mean != null) {
                    mean[n] = m;
                    rstd[n] = s;
                }
            }
        });
    }

    /**
     * Accumulates {@code dinp}, {@code dweight}, {@code dbias} given {@code dout}. Rows are split
     * across cores; each chunk sums its weight and bias gradients privately, then adds them in.
     */
    public static void backward(float[] dinp, float[] dw, int dwOff, float[] db, int dbOff, float[] dout,
                                float[] inp, float[] w, int wOff, float[] mean, float[] rstd, int N, int C) {
        Object lock = new Object();
        Parallel.forRange(N, 64, (n0, n1) -> {
            float[] dwLocal = new float[C], dbLocal = new float[C];
            float[] norm = new float[C];
            for (int n = n0; n < n1; n++) {
                int x = n * C;
                float m = mean[n], s = rstd[n];
                float dnormMean = 0f, dnormNormMean = 0f;
                for (int i = 0; i < C; i++) {
                    float xhat = (inp[x + i] - m) * s;
                    norm[i] = xhat;
                    float dnorm = w[wOff + i] * dout[x + i];
                    dnormMean += dnorm;
                    dnormNormMean += dnorm * xhat;
                }
                dnormMean /= C;
                dnormNormMean /= C;
                for (int i = 0; i < C; i++) {
                    float g = dout[x + i];
                    dbLocal[i] += g;
                    dwLocal[i] += norm[i] * g;
                    float dnorm = w[wOff + i] * g;
                    dinp[x + i] += (dnorm - dnormMean - norm[i] * dnormNormMean) * s;
                }
            }
            synchronized (lock) {
                Vec.add(dwLocal, 0, dw, dwOff, C);
                Vec.add(dbLocal, 0, db, dbOff, C);
            }
        });
    }
}
