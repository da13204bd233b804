package dev.rill.spi;

import java.util.Arrays;

/**
 * The candidate tokens of one sampling step: parallel arrays of token ids and logits, of which the
 * first {@code size} are alive. Filters shrink {@code size}; {@link #sorted} says whether the live
 * entries are in descending logit order. A selecting sampler stores its choice with {@link #select}.
 */
public final class Candidates {

    public final int[] ids;
    public final float[] logits;
    /** Scratch for probabilities, valid only right after {@link #softmax()}. */
    public final float[] probs;
    public int size;
    public boolean sorted;
    private int selected = -1;

    public Candidates(int capacity) {
        ids = new int[capacity];
        logits = new float[capacity];
        probs = new float[capacity];
    }

    /** Resets to all tokens of {@code logits}, in id order. */
    public Candidates reset(float[] source, int n) {
        for (int i = 0; i < n; i++) ids[i] = i;
        System.arraycopy(source, 0, logits, 0, n);
        size = n;
        sorted = false;
        selected = -1;
        return this;
    }

    public void select(int tokenId) {
        selected = tokenId;
    }

    /** The selected token id, or -1. */
    public int selected() {
        return selected;
    }

    /** Index (within the live entries) of the largest logit; ties go to the lowest index. */
    public int argmax() {
        int best = 0;
        for (int i = 1; i < size; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }

    /** Fills {@link #probs} with softmax of the live logits (max-subtracted); returns the max logit. */
    public float softmax() {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) max = Math.max(max, logits[i]);
        double sum = 0;
        for (int i = 0; i < size; i++) {
            float p = logits[i] == Float.NEGATIVE_INFINITY ? 0f : (float) Math.exp(logits[i] - max);
            probs[i] = p;
            sum += p;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < size; i++) probs[i] *= inv;
        return max;
    }

    /** Sorts the live entries by descending logit (stable for ties by id). */
    public void sortDescending() {
        if (sorted) return;
        Integer[] order = new Integer[size];
        for (int i = 0; i < size; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> {
            int c = Float.compare(logits[b], logits[a]);
            return c != 0 ? c : Integer.compare(ids[a], ids[b]);
        });
        int[] newIds = new int[size];
        float[] newLogits = new float[size];
        for (int i = 0; i < size; i++) {
            newIds[i] = ids[order[i]];
            newLogits[i] = logits[order[i]];
        }
        System.arraycopy(newIds, 0, ids, 0, size);
        System.arraycopy(newLogits, 0, logits, 0, size);
        sorted = true;
    }
}
