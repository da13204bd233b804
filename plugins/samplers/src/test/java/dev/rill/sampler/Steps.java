package dev.rill.sampler;

import dev.rill.spi.Candidates;
import dev.rill.spi.Params;
import dev.rill.spi.Sampler;
import dev.rill.spi.SamplingContext;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Runs single sampler steps on crafted logits, with a real context (parameters validated by the
 * plugin). The samplers are found as the engine finds them, with {@link ServiceLoader}.
 */
final class Steps {

    private Steps() {
    }

    /** A context for one step; its state map persists across calls like a request's. */
    record Context(Params params, int[] history, RandomGenerator random, Map<String, Object> state) implements SamplingContext {

        Context(Sampler sampler, Map<String, ?> values, int[] history, long seed) {
            this(sampler.params(values), history, RandomGeneratorFactory.of("L64X128MixRandom").create(seed), new HashMap<>());
        }

        @Override
        public int historyLength() {
            return history.length;
        }
    }

    static Sampler sampler(String name) {
        return ServiceLoader.load(Sampler.class).stream().map(ServiceLoader.Provider::get).filter(s -> s.name().equals(name))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("no sampler named " + name));
    }

    static Candidates candidates(float... logits) {
        return new Candidates(logits.length).reset(logits, logits.length);
    }

    /** Candidates in reverse id order, as after an earlier step has reordered them. */
    static Candidates reversed(float... logits) {
        Candidates c = candidates(logits);
        int n = c.size;
        for (int i = 0; i < n; i++) {
            c.ids[i] = n - 1 - i;
            c.logits[i] = logits[n - 1 - i];
        }
        return c;
    }

    /** Applies one step and returns the surviving ids, ascending. */
    static int[] apply(String name, Map<String, ?> values, Candidates c) {
        Sampler s = sampler(name);
        s.apply(c, new Context(s, values, new int[0], 1));
        return survivors(c);
    }

    static int[] survivors(Candidates c) {
        int[] ids = Arrays.copyOf(c.ids, c.size);
        Arrays.sort(ids);
        return ids;
    }

    /** The logit of each token id after a step (NaN for tokens no longer alive). */
    static float[] logitsById(Candidates c, int nVocab) {
        float[] out = new float[nVocab];
        Arrays.fill(out, Float.NaN);
        for (int i = 0; i < c.size; i++) out[c.ids[i]] = c.logits[i];
        return out;
    }

    /** ln of each probability: logits whose softmax is exactly those probabilities (up to rounding). */
    static float[] logOf(double... probs) {
        float[] l = new float[probs.length];
        for (int i = 0; i < probs.length; i++) l[i] = (float) Math.log(probs[i]);
        return l;
    }

    /** softmax(logits / t) in double. */
    static double[] softmax(float[] logits, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) max = Math.max(max, x / t);
        double[] p = new double[logits.length];
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum += p[i] = Math.exp(logits[i] / t - max);
        for (int i = 0; i < p.length; i++) p[i] /= sum;
        return p;
    }
}
