package dev.rill.spi;

/**
 * A model prepared by a {@link ComputeBackend}: maps token indices to logits, one sequence per
 * {@link KvCache}. Not thread-safe: one caller at a time (the generation loop or the batch scheduler).
 */
public interface ForwardPass extends AutoCloseable {

    ModelWeights weights();

    /** A new, empty cache for a sequence of up to {@code capacity} positions. */
    KvCache newCache(int capacity);

    /**
     * Runs {@code tokens[from..to)} at the cache's next positions, appends their keys and values to
     * the cache, and writes the logits after the last of them into {@code logits} ({@code nVocab}).
     */
    void forward(KvCache cache, int[] tokens, int from, int to, float[] logits);

    /**
     * One decode step for several sequences at once: {@code tokens[i]} is appended to
     * {@code caches[i]} and its logits written to {@code logits[i]}. One pass over the weights
     * serves every sequence.
     */
    default void decode(KvCache[] caches, int[] tokens, float[][] logits) {
        for (int i = 0; i < caches.length; i++) forward(caches[i], tokens, i, i + 1, logits[i]);
    }

    /**
     * Runs {@code tokens[from..to)} at the cache's next positions as {@link #forward} does, but instead
     * of logits adds each token's last hidden state — after the final norm, what the output layer
     * reads — into {@code hiddenSum} ({@code nEmb}): the material of embeddings.
     *
     * @return whether it did; a backend that cannot returns {@code false}
     */
    default boolean hiddenStates(KvCache cache, int[] tokens, int from, int to, float[] hiddenSum) {
        return false;
    }

    /**
     * Makes {@code target} hold what {@code source} holds: the keys and values of its first
     * {@code source.length()} positions (both caches from this pass), so that a second sequence with
     * the same prompt continues from it without running the prompt again (several choices of one
     * request share their prompt this way).
     *
     * @return whether it copied; a backend that cannot returns {@code false}, and the caller runs the
     *         prompt for {@code target} itself
     */
    default boolean copyCache(KvCache source, KvCache target) {
        return false;
    }

    @Override
    default void close() {
    }
}
