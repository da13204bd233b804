package dev.rill.nn;

import dev.rill.tensor.Parallel;
import dev.rill.tensor.Vec;

/** Softmax and cross-entropy fused: the loss is {@code −mean log softmax(logits)[target]}. */
public final class CrossEntropy {

    private CrossEntropy() {
    }

    /**
     * Turns {@code logits (N, V)} into probabilities in place and returns the mean of
     * {@code −log p[target]} over the {@code N} rows (accumulated in double).
     */
    public static double forward(float[] logits, int[] targets, int N, int V) {
        double[] losses = new double[N];
        Parallel.forRange(N, 32, (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                int o = n * V;
                float max = Vec.max(logits, o, V);
                float shifted = logits[o + targets[n]] - max;
                float sum = Vec.expShift(logits, o, V, max);
                Vec.scale(1f / sum, logits, o, V);
                // −log p = log Σ exp(ℓ − max) − (ℓ_target − max): exact even when p underflows.
                losses[n] = Math.log(sum) - shifted;
            }
        });
        double total = 0;
        for (double l : losses) total += l;
        return total / N;
    }

    /** Turns the probabilities in place into {@code dlogits = (p − onehot(target)) · dloss}. */
    public static void backward(float[] probs, int[] targets, int N, int V, float dloss) {
        Parallel.forRange(N, 32, (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                int o = n * V;
                probs[o + targets[n]] -= 1f;
                Vec.scale(dloss, probs, o, V);
            }
        });
    }
}
