package dev.rill.sampling;

import dev.rill.spi.Candidates;

import java.util.ArrayList;
import java.util.List;

/**
 * Records one sampling call as a {@link SamplerChain.Observer}: the best {@code top} candidates with
 * their logits and probabilities before the chain (the model's logits over the whole vocabulary) and
 * after each step, and the token the selecting step drew. Probabilities are the softmax of the live
 * logits at that point (in double), so after the last filtering step they are exactly the
 * distribution the draw samples from. It copies what it shows and never touches the candidates.
 */
public final class SamplingTrace implements SamplerChain.Observer {

    /** One candidate token at one stage. */
    public record Entry(int tokenId, float logit, double probability) {
    }

    /**
     * The candidates after one stage.
     *
     * @param step  -1 for the model's logits, else the index of the step in the chain
     * @param alive how many candidates are left (the vocabulary size before the chain)
     * @param top   the best {@code top} of them, by logit (ties by id), with their probabilities
     */
    public record Stage(int step, int alive, List<Entry> top) {
    }

    private final int top;
    private final List<Stage> stages = new ArrayList<>();
    private int selected = -1;
    private double selectedProbability = Double.NaN;
    private float selectedLogit = Float.NaN;

    /** @param top how many candidates each stage keeps (≥ 1) */
    public SamplingTrace(int top) {
        if (top < 1) throw new IllegalArgumentException("a trace needs top >= 1, got " + top);
        this.top = top;
    }

    @Override
    public void observe(int step, Candidates c) {
        int n = c.size;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, c.logits[i]);
        double sum = 0;
        if (max > Double.NEGATIVE_INFINITY) for (int i = 0; i < n; i++) sum += Math.exp(c.logits[i] - max);
        // The best `top` positions, best first, by insertion into a short sorted list.
        int k = Math.min(top, n);
        int[] best = new int[k];
        int filled = 0;
        for (int i = 0; i < n; i++) {
            if (filled == k && !better(c, i, best[k - 1])) continue;
            int j = filled < k ? filled++ : k - 1;
            while (j > 0 && better(c, i, best[j - 1])) {
                best[j] = best[j - 1];
                j--;
            }
            best[j] = i;
        }
        List<Entry> entries = new ArrayList<>(k);
        for (int j = 0; j < k; j++) entries.add(entry(c, best[j], max, sum));
        stages.add(new Stage(step, n, List.copyOf(entries)));
        if (c.selected() >= 0 && selected < 0) {
            selected = c.selected();
            int at = c.indexOf(selected);
            if (at >= 0) {
                Entry e = entry(c, at, max, sum);
                selectedLogit = e.logit();
                selectedProbability = e.probability();
            }
        }
    }

    private static Entry entry(Candidates c, int i, double max, double sum) {
        double p = sum > 0 ? Math.exp(c.logits[i] - max) / sum : 0;
        return new Entry(c.ids[i], c.logits[i], p);
    }

    private static boolean better(Candidates c, int a, int b) {
        return c.logits[a] > c.logits[b] || c.logits[a] == c.logits[b] && c.ids[a] < c.ids[b];
    }

    /** The stages seen so far: the logits first, then one per step. */
    public List<Stage> stages() {
        return List.copyOf(stages);
    }

    /** The drawn token id, or -1 before a step selected one. */
    public int selected() {
        return selected;
    }

    /** The drawn token's probability in the distribution it was drawn from (NaN if unknown). */
    public double selectedProbability() {
        return selectedProbability;
    }

    /** The drawn token's logit as the selecting step saw it (NaN if unknown). */
    public float selectedLogit() {
        return selectedLogit;
    }
}
