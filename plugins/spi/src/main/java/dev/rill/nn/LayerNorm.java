package dev.rill.nn;

import dev.rill.tensor.Parallel;
import dev.rill.tensor.VMath;
import dev.rill.tensor.Vec;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** LayerNorm with scale and shift over the last dimension ({@code eps = 1e-5}, as GPT-2). */
public final class LayerNorm {

    public static final float EPS = 1e-5f;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private LayerNorm() {
    }

    /** {@code out[n] = (inp[n] - mean) * rstd * weight + bias}; saves mean and rstd per row for backward. */
    public static void forward(float[] out, float[] mean, float[] rstd, float[] inp, float[] w, int wOff,
                               float[] b, int bOff, int N, int C) {
        Parallel.forRange(N, 16, (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                int x = n * C;
                float m = Vec.sum(inp, x, C) / C;
                FloatVector vm = FloatVector.broadcast(S, m), acc = FloatVector.zero(S);
                int i = 0;
                for (; i + L <= C; i += L) {
                    FloatVector d = FloatVector.fromArray(S, inp, x + i).sub(vm);
                    acc = d.fma(d, acc);
                }
                float v = VMath.sum(acc);
                for (; i < C; i++) {
                    float d = inp[x + i] - m;
                    v += d * d;
                }
                float s = (float) (1.0 / Math.sqrt(v / C + EPS));
                FloatVector vs = FloatVector.broadcast(S, s);
                i = 0;
                for (; i + L <= C; i += L) {
                    FloatVector.fromArray(S, inp, x + i).sub(vm).mul(vs)
                            .fma(FloatVector.fromArray(S, w, wOff + i), FloatVector.fromArray(S, b, bOff + i))
                            .intoArray(out, x + i);
                }
                for (; i < C; i++) out[x + i] = (inp[x + i] - m) * s * w[wOff + i] + b[bOff + i];
                if (mean != null) {
                    mean[n] = m;
                    rstd[n] = s;
                }
            }
        });
    }

    /**
     * Accumulates {@code dinp}, {@code dweight}, {@code dbias} given {@code dout}. Rows are cut into
     * a fixed number of chunks (whatever the core count) whose weight and bias gradients are summed
     * in chunk order, so results are reproducible bit for bit.
     */
    public static void backward(float[] dinp, float[] dw, int dwOff, float[] db, int dbOff, float[] dout,
                                float[] inp, float[] w, int wOff, float[] mean, float[] rstd, int N, int C) {
        int chunks = Math.min(N, 32), rows = (N + chunks - 1) / chunks;
        float[][] dwPart = new float[chunks][C], dbPart = new float[chunks][C];
        Parallel.forEach(chunks, k -> {
            float[] dwLocal = dwPart[k], dbLocal = dbPart[k];
            float[] norm = new float[C], dnorm = new float[C];
            for (int n = k * rows; n < Math.min(N, (k + 1) * rows); n++) {
                int x = n * C;
                FloatVector vm = FloatVector.broadcast(S, mean[n]), vs = FloatVector.broadcast(S, rstd[n]);
                FloatVector accMean = FloatVector.zero(S), accDot = FloatVector.zero(S);
                int i = 0;
                for (; i + L <= C; i += L) {
                    FloatVector xhat = FloatVector.fromArray(S, inp, x + i).sub(vm).mul(vs);
                    FloatVector g = FloatVector.fromArray(S, dout, x + i);
                    FloatVector dn = FloatVector.fromArray(S, w, wOff + i).mul(g);
                    xhat.intoArray(norm, i);
                    dn.intoArray(dnorm, i);
                    accMean = accMean.add(dn);
                    accDot = dn.fma(xhat, accDot);
                    g.add(FloatVector.fromArray(S, dbLocal, i)).intoArray(dbLocal, i);
                    xhat.fma(g, FloatVector.fromArray(S, dwLocal, i)).intoArray(dwLocal, i);
                }
                float dnormMean = VMath.sum(accMean), dnormNormMean = VMath.sum(accDot);
                for (; i < C; i++) {
                    float xhat = (inp[x + i] - mean[n]) * rstd[n], g = dout[x + i], dn = w[wOff + i] * g;
                    norm[i] = xhat;
                    dnorm[i] = dn;
                    dnormMean += dn;
                    dnormNormMean += dn * xhat;
                    dbLocal[i] += g;
                    dwLocal[i] += xhat * g;
                }
                dnormMean /= C;
                dnormNormMean /= C;
                FloatVector vMean = FloatVector.broadcast(S, dnormMean), vDot = FloatVector.broadcast(S, dnormNormMean);
                i = 0;
                for (; i + L <= C; i += L) {
                    FloatVector r = FloatVector.fromArray(S, dnorm, i).sub(vMean)
                            .sub(FloatVector.fromArray(S, norm, i).mul(vDot)).mul(vs);
                    r.add(FloatVector.fromArray(S, dinp, x + i)).intoArray(dinp, x + i);
                }
                for (; i < C; i++) dinp[x + i] += (dnorm[i] - dnormMean - norm[i] * dnormNormMean) * rstd[n];
            }
        });
        for (int k = 0; k < chunks; k++) {
            Vec.add(dwPart[k], 0, dw, dwOff, C);
            Vec.add(dbPart[k], 0, db, dbOff, C);
        }
    }
}
