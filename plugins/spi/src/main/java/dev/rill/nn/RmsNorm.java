package dev.rill.nn;

import dev.rill.tensor.Vec;

/** RMSNorm (Llama): {@code out = x / √(mean(x²) + eps) · weight}. */
public final class RmsNorm {

    private RmsNorm() {
    }

    /** Normalises {@code n} values of {@code x} at {@code xo} into {@code out} at {@code oo}. */
    public static void forward(float[] out, int oo, float[] x, int xo, float[] w, int wo, int n, float eps) {
        float rms = (float) (1.0 / Math.sqrt(Vec.sumSquares(x, xo, n) / n + eps));
        for (int i = 0; i < n; i++) out[oo + i] = x[xo + i] * rms * w[wo + i];
    }
}
