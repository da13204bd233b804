package dev.rill.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.ParamSpec;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.Arrays;
import java.util.List;

/**
 * Locally typical sampling (Meister et al. 2022): ranks tokens by how close their surprise
 * {@code -ln p} is to the entropy {@code H = -Σ p ln p} and keeps the closest until their
 * probabilities add up to more than {@code typical_p} (and at least {@code min_keep}). Survivors
 * are left in descending logit order.
 */
public final class Typical implements Sampler {

    @Override
    public String name() {
        return "typical";
    }

    @Override
    public String description() {
        return "keep the tokens whose surprise is closest to the entropy, up to typical_p of the mass";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(ParamSpec.realAbove("typical_p", 1.0, 0, 1, "probability mass to keep; 1 turns typical sampling off"),
                SamplingParams.MIN_KEEP);
    }

    @Override
    public void apply(Candidates c, SamplingContext ctx) {
        double p = ctx.params().getDouble("typical_p");
        int minKeep = ctx.params().getInt("min_keep");
        if (p >= 1 || c.size <= 1) return;
        // Sorted first, so that among equal scores the position order is logit-descending, id-ascending.
        c.sortDescending();
        c.softmax();
        int n = c.size;
        double entropy = 0;
        for (int i = 0; i < n; i++) {
            double pi = c.probs[i];
            if (pi > 0) entropy -= pi * Math.log(pi);
        }
        long[] order = new long[n];
        for (int i = 0; i < n; i++) {
            double pi = c.probs[i];
            float score = pi > 0 ? (float) Math.abs(-Math.log(pi) - entropy) : Float.POSITIVE_INFINITY;
            // score ≥ 0, so its float bits sort like the value; the position breaks ties.
            order[i] = ((long) Float.floatToIntBits(score) << 32) | i;
        }
        Arrays.sort(order);
        double cumulative = 0;
        int keep = n;
        for (int i = 0; i < n; i++) {
            cumulative += c.probs[(int) order[i]];
            if (cumulative > p && i + 1 >= minKeep) {
                keep = i + 1;
                break;
            }
        }
        if (keep == n) return;
        int[] positions = new int[keep];
        for (int i = 0; i < keep; i++) positions[i] = (int) order[i];
        Arrays.sort(positions); // back to descending logit order
        for (int i = 0; i < keep; i++) {
            c.ids[i] = c.ids[positions[i]];
            c.logits[i] = c.logits[positions[i]];
        }
        c.size = keep;
        c.sorted = true;
    }
}
