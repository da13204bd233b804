package dev.rill.nn;

import dev.rill.tensor.Parallel;
import dev.rill.tensor.Vec;

/**
 * Softmax and cross-entropy fused: the loss is {@code −mean log softmax(logits)[target]} over the rows
 * whose target is not {@link #IGNORE} (PyTorch's {@code ignore_index}): fine-tuning on chats counts
 * the assistant's tokens only.
 */
public final class CrossEntropy {

    /** A target that takes no part in the loss: its row adds nothing and gets no gradient. */
    public static final int IGNORE = -1;

    private CrossEntropy() {
    }

    /**
     * Turns {@code logits (N, V)} into probabilities in place and returns the mean of
     * {@code −log p[target]} over the rows that count (accumulated in double); 0 when none counts.
     */
    public static double forward(float[] logits, int[] targets, int N, int V) {
        double[] losses = new double[N];
        Parallel.forRange(N, 32, (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                if (targets[n] == IGNORE) continue;
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
        int counted = counted(targets, N);
        return counted == 0 ? 0 : total / counted;
    }

    /** How many of the first {@code N} targets count (are not {@link #IGNORE}). */
    public static int counted(int[] targets, int N) {
        int c = 0;
        for (int n = 0; n < N; n++) if (targets[n] != IGNORE) c++;
        return c;
    }

    /**
     * Turns the probabilities in place into {@code dlogits = (p − onehot(target)) · dloss}; rows
     * whose target is {@link #IGNORE} get zeros.
     */
    public static void backward(float[] probs, int[] targets, int N, int V, float dloss) {
        Parallel.forRange(N, 32, (n0, n1) -> {
            for (int n = n0; n < n1; n++) {
                int o = n * V;
                if (targets[n] == IGNORE) {
                    java.util.Arrays.fill(probs, o, o + V, 0f);
                    continue;
                }
                probs[o + targets[n]] -= 1f;
                Vec.scale(dloss, probs, o, V);
            }
        });
    }
}
