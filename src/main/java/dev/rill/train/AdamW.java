package dev.rill.train;

import dev.rill.model.Gpt;
import dev.rill.tensor.Parallel;

/**
 * AdamW with bias correction and decoupled weight decay applied only to the tensors that ask for it
 * (the matrices; not biases, norms or embeddings).
 */
public final class AdamW {

    private final double beta1, beta2, eps, weightDecay;
    final float[] m, v;
    private final boolean[] decayByChunk;
    private final int[] chunkStart;

    public AdamW(Gpt model, double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        int n = model.params.length;
        m = new float[n];
        v = new float[n];
        var ps = model.parameters();
        decayByChunk = new boolean[ps.size()];
        chunkStart = new int[ps.size() + 1];
        for (int i = 0; i < ps.size(); i++) {
            decayByChunk[i] = ps.get(i).decay();
            chunkStart[i] = ps.get(i).offset();
        }
        chunkStart[ps.size()] = n;
    }

    /** One update at step {@code t} (1-based, for bias correction) with learning rate {@code lr}. */
    public void step(float[] params, float[] grads, double lr, int t) {
        float b1 = (float) beta1, b2 = (float) beta2;
        float c1 = (float) (1 - Math.pow(beta1, t)), c2 = (float) (1 - Math.pow(beta2, t));
        float lrF = (float) lr, epsF = (float) eps;
        for (int p = 0; p < decayByChunk.length; p++) {
            int from = chunkStart[p], to = chunkStart[p + 1];
            float decay = decayByChunk[p] ? (float) (lr * weightDecay) : 0f;
            Parallel.forRange(to - from, 8192, (i0, i1) -> {
                for (int i = from + i0; i < from + i1; i++) {
                    float g = grads[i];
                    float mi = b1 * m[i] + (1 - b1) * g;
                    float vi = b2 * v[i] + (1 - b2) * g * g;
                    m[i] = mi;
                    v[i] = vi;
                    float mHat = mi / c1, vHat = vi / c2;
                    params[i] -= lrF * mHat / ((float) Math.sqrt(vHat) + epsF) + decay * params[i];
                }
            });
        }
    }

    /**
     * Scales {@code grads} so their global L2 norm is at most {@code maxNorm}; returns the norm
     * before clipping. Summed in fixed chunks so the result does not depend on the core count.
     */
    public static double clipGradNorm(float[] grads, double maxNorm) {
        int chunks = 64, size = (grads.length + chunks - 1) / chunks;
        double[] partial = new double[chunks];
        Parallel.forEach(chunks, k -> {
            int from = k * size, to = Math.min(grads.length, from + size);
            if (from < to) partial[k] = dev.rill.tensor.Vec.sumSquares(grads, from, to - from);
        });
        double sum = 0;
        for (double p : partial) sum += p;
        double norm = Math.sqrt(sum);
        if (maxNorm > 0 && norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            Parallel.forRange(grads.length, 16384, (i0, i1) -> dev.rill.tensor.Vec.scale(scale, grads, i0, i1 - i0));
        }
        return norm;
    }
}
