package dev.rill.spi;

/**
 * One step of a sampler chain over the last logits: a filter (top-k, top-p, ...), a transform
 * (temperature, penalties) or a final draw that selects a token. Stateless per token: everything
 * it needs comes in the {@link SamplingContext}.
 */
public interface Sampler extends Plugin {

    /** Changes the candidates in place; a selecting step sets {@link Candidates#select}. */
    void apply(Candidates candidates, SamplingContext context);

    /** Whether this step picks the token (ends the chain). */
    default boolean selects() {
        return false;
    }
}
