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

    @Override
    default void close() {
    }
}
