package dev.rill.spi;

import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * What a sampler sees besides the logits: its parameters for this request, the tokens so far
 * (prompt and generated), the request's seeded random source, and a per-request scratch map
 * for samplers that carry state between tokens (e.g. Mirostat's μ, a grammar's parse state), and
 * the model's vocabulary.
 */
public interface SamplingContext {

    /** This sampler's parameters for the request, validated, defaults filled in. */
    Params params();

    /** Tokens so far, oldest first; only the first {@link #historyLength()} entries are valid. */
    int[] history();

    int historyLength();

    /** The request's random source (seeded when the request gives a seed). */
    RandomGenerator random();

    /** Per-request state, keyed by the sampler's choice of key. */
    Map<String, Object> state();

    /**
     * The vocabulary of the model being sampled, for steps that look at token text (constrained
     * sampling); {@code null} when the chain runs on bare logits (benchmarks, tests).
     */
    default Vocabulary vocabulary() {
        return null;
    }
}
