package dev.rill.sampler;

import dev.rill.spi.Candidates;
import dev.rill.tensor.Vec;

import java.util.random.RandomGenerator;

/** The categorical draw shared by {@code dist} and {@code mirostat-v2}. */
final class Draw {

    private Draw() {
    }

    /**
     * Draws a live position with probability softmax(logits): the unnormalized weights go to
     * {@link Candidates#probs} and a uniform {@code r·Σw} picks the first position whose running sum
     * exceeds it. Leaves {@code probs} normalized.
     *
     * @return the drawn position (not the token id)
     * @throws IllegalStateException if every live logit is {@code -inf}
     */
    static int categorical(Candidates c, RandomGenerator random) {
        if (c.size == 1) {
            if (c.logits[0] == Float.NEGATIVE_INFINITY) {
                throw new IllegalStateException("the only candidate token left has probability zero (it was banned)");
            }
            c.probs[0] = 1f;
            return 0;
        }
        double sum = c.expWeights(c.maxLogit());
        double target = random.nextDouble() * sum;
        double running = 0;
        int chosen = -1;
        float[] w = c.probs;
        for (int i = 0; i < c.size; i++) {
            running += w[i];
            // Strictly greater: a zero-weight (banned) entry can never be the first to pass the target.
            if (running > target) {
                chosen = i;
                break;
            }
        }
        if (chosen < 0) {
            // Rounding left the target just above the running total: take the last entry with weight.
            for (int i = c.size - 1; i >= 0 && chosen < 0; i--) if (w[i] > 0) chosen = i;
        }
        Vec.scale((float) (1.0 / sum), w, 0, c.size);
        if (chosen >= 0) return chosen;
        throw new IllegalStateException("no candidate token has a positive probability");
    }
}
