package dev.rill.spi;

/**
 * The shape of a decoder-only transformer, enough for a backend to run it:
 * embed (× {@code embeddingScale}) → blocks (norm → attention → [post-norm] → residual → norm → MLP →
 * [post-norm] → residual) → norm → logits (soft-capped when {@code finalSoftcap > 0}). Per-block
 * choices (sliding window, extra norms, a block's own positional encoder) are in
 * {@link ModelWeights.Block}.
 *
 * @param nVocab         vocabulary size
 * @param nEmb           embedding width
 * @param nLayer         transformer blocks
 * @param nHead          query heads
 * @param nKvHead        key/value heads ({@code nHead} unless grouped-query attention)
 * @param headDim        width of one head
 * @param nHidden        MLP hidden width
 * @param T              context size the model was trained with
 * @param maxContext     longest context it may run with
 * @param norm           normalisation kind
 * @param normEps        epsilon of the normalisation
 * @param activation     MLP kind
 * @param embeddingScale factor on the token embedding (Gemma: √nEmb; 1 otherwise)
 * @param attnScale      factor on query·key scores (usually {@code 1/√headDim})
 * @param attnSoftcap    scores become {@code c·tanh(s/c)} before the softmax (Gemma 2; 0 = off)
 * @param finalSoftcap   logits become {@code c·tanh(l/c)} (Gemma 2; 0 = off)
 */
public record Architecture(int nVocab, int nEmb, int nLayer, int nHead, int nKvHead, int headDim,
                           int nHidden, int T, int maxContext, Norm norm, float normEps, Activation activation,
                           float embeddingScale, float attnScale, float attnSoftcap, float finalSoftcap) {

    public enum Norm { LAYER_NORM, RMS_NORM }

    public enum Activation {
        /** {@code down(gelu_tanh(up(x)))} */
        GELU_TANH,
        /** {@code down(silu(gate(x)) * up(x))} */
        SWIGLU,
        /** {@code down(gelu_tanh(gate(x)) * up(x))} (Gemma) */
        GEGLU
    }

    /** The plain transformer: no embedding scale, scores scaled by {@code 1/√headDim}, no soft-capping. */
    public Architecture(int nVocab, int nEmb, int nLayer, int nHead, int nKvHead, int headDim, int nHidden, int T, int maxContext,
                        Norm norm, float normEps, Activation activation) {
        this(nVocab, nEmb, nLayer, nHead, nKvHead, headDim, nHidden, T, maxContext, norm, normEps, activation,
                1f, (float) (1 / Math.sqrt(headDim)), 0f, 0f);
    }

    public int qDim() {
        return nHead * headDim;
    }

    public int kvDim() {
        return nKvHead * headDim;
    }

    /** Whether the MLP has a gate projection. */
    public boolean gated() {
        return activation != Activation.GELU_TANH;
    }
}
