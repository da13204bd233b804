package dev.rill.spi;

/**
 * One step of a sampler chain over the last logits: a filter (top-k, top-p, ...), a transform
 * (temperature, penalties) or a final draw that selects a token. Stateless per token: everything
 * it needs comes in the {@link SamplingContext}.
 *
 * <p>A selecting step leaves alive exactly the candidates it drew from, with the logits it drew
 * with (a deterministic choice leaves one): the chain reports log-probabilities from them.
 */
public interface Sampler extends Plugin {

    /** Changes the candidates in place; a selecting step sets {@link Candidates#select}. */
    void apply(Candidates candidates, SamplingContext context);

    /**
     * Whether the generation must end now, as if at an end token: asked after each accepted token,
     * with that token already in the context's history. A grammar step says so once its document is
     * complete and nothing more may follow.
     */
    default boolean ends(SamplingContext context) {
        return false;
    }

    /** Whether this step picks the token (ends the chain). */
    default boolean selects() {
        return false;
    }
}
