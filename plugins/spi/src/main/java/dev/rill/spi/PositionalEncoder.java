package dev.rill.spi;

import java.util.List;

/**
 * A positional encoding bound to one model's shape. Each hook comes with its backward twin; the
 * defaults do nothing, so an encoder implements only the hooks it uses.
 * Positions count from 0. Backends call the hooks from several compute threads at once (different
 * rows, heads or blocks of keys), so they must be safe to call concurrently.
 */
public interface PositionalEncoder {

    /** The parameters it was made with (recorded in checkpoints). */
    Params params();

    /** Positions {@code 0 .. maxPositions()-1} are defined; running past them is an error. */
    int maxPositions();

    /** Trainable tensors this encoder owns (e.g. the learned table), allocated by the model. */
    default List<TensorSpec> parameters() {
        return List.of();
    }

    // ---- added to the token embedding --------------------------------------------------------

    /** Whether {@link #embed} changes the embeddings. */
    default boolean addsToEmbeddings() {
        return false;
    }

    /** {@code x[off .. off+nEmb) += pe(pos)}; {@code weights} are the tensors of {@link #parameters()}. */
    default void embed(List<TensorView> weights, float[] x, int off, int pos) {
    }

    /** Accumulates into {@code grads} the gradient of the loss through {@link #embed}, given {@code dx}. */
    default void embedBackward(List<TensorView> weights, List<TensorView> grads, float[] dx, int off, int pos) {
    }

    // ---- rotating queries and keys -------------------------------------------------------------

    /** Whether {@link #rotate} changes queries and keys. */
    default boolean rotates() {
        return false;
    }

    /** Rotates one head's query or key vector {@code v[off .. off+headDim)} in place for position {@code pos}. */
    default void rotate(float[] v, int off, int pos) {
    }

    /** Applies the transpose of {@link #rotate}'s map to a gradient {@code dv[off .. off+headDim)} in place. */
    default void rotateBackward(float[] dv, int off, int pos) {
    }

    // ---- bias on attention scores --------------------------------------------------------------

    /** Whether {@link #scoreBias} changes attention scores. */
    default boolean biasesScores() {
        return false;
    }

    /**
     * Adds to {@code scores[off+j]}, the score of the query at {@code queryPos} against the key at
     * {@code keyPos0 + j}, the bias of head {@code head}, for {@code j < n}. The bias is constant, so its backward is the identity.
     */
    default void scoreBias(int head, int queryPos, int keyPos0, float[] scores, int off, int n) {
    }
}
