package dev.rill.nn;

import dev.rill.tensor.Gemm;
import dev.rill.tensor.Parallel;
import dev.rill.tensor.Vec;

/**
 * A linear layer {@code out = inp·W + b} with {@code W} of shape {@code (C, OC)} (GPT-2's Conv1D
 * layout), over {@code N} rows.
 */
public final class Linear {

    private Linear() {
    }

    /** {@code out(N,OC) = inp(N,C)·W(C,OC) + bias}; {@code bias} may be {@code null}. */
    public static void forward(float[] out, float[] inp, float[] w, int wOff, float[] bias, int bOff, int N, int C, int OC) {
        Gemm.gemm(N, OC, C, inp, 0, C, 1, w, wOff, OC, out, 0, OC, false);
        if (bias != null) {
            Parallel.forRange(N, 64, (n0, n1) -> {
                for (int n = n0; n < n1; n++) Vec.add(bias, bOff, out, n * OC, OC);
            });
        }
    }

    /**
     * Given {@code dout(N,OC)}: {@code dinp = dout·Wᵀ} (overwritten, or added when {@code accumulate}),
     * {@code dW += inpᵀ·dout}, {@code dbias += Σ dout}. {@code wT} is scratch of {@code C·OC} floats.
     */
    public static void backward(float[] dinp, boolean accumulate, float[] dw, int dwOff, float[] dbias, int dbOff,
                                float[] dout, float[] inp, float[] w, int wOff, float[] wT, int N, int C, int OC) {
        if (dinp != null) {
            Gemm.transpose(w, wOff, C, OC, OC, wT, 0);
            Gemm.gemm(N, C, OC, dout, 0, OC, 1, wT, 0, C, dinp, 0, C, accumulate);
        }
        Gemm.gemm(C, OC, N, inp, 0, 1, C, dout, 0, OC, dw, dwOff, OC, true);
        if (dbias != null) columnSums(dbias, dbOff, dout, N, OC);
    }

    /** {@code db[j] += Σ_n d[n, j]}: columns split across cores. */
    static void columnSums(float[] db, int dbOff, float[] d, int N, int OC) {
        Parallel.forRange(OC, 64, (j0, j1) -> {
            for (int n = 0; n < N; n++) Vec.add(d, n * OC + j0, db, dbOff + j0, j1 - j0);
        });
    }
}
