package dev.rill.spi;

/**
 * The shape of a decoder-only transformer, enough for a backend to run it:
 * embed → blocks (norm → attention → residual → norm → MLP → residual) → norm → logits.
 *
 * @param family     {@code gpt} (LayerNorm, GELU, tied head) or {@code llama} (RMSNorm, SwiGLU, GQA)
 * @param nVocab     vocabulary size
 * @param nEmb       embedding width
 * @param nLayer     transformer blocks
 * @param nHead      query heads
 * @param nKvHead    key/value heads ({@code nHead} unless grouped-query attention)
 * @param headDim    width of one head
 * @param nHidden    MLP hidden width
 * @param T          context size the model was trained with
 * @param maxContext longest context it may run with
 * @param norm       normalisation kind
 * @param normEps    epsilon of the normalisation
 * @param activation MLP kind
 */
public record Architecture(String family, int nVocab, int nEmb, int nLayer, int nHead, int nKvHead, int headDim,
                           int nHidden, int T, int maxContext, Norm norm, float normEps, Activation activation) {

    public enum Norm { LAYER_NORM, RMS_NORM }

    public enum Activation {
        /** {@code down(gelu_tanh(up(x)))} */
        GELU_TANH,
        /** {@code down(silu(gate(x)) * up(x))} */
        SWIGLU
    }

    public int qDim() {
        return nHead * headDim;
    }

    public int kvDim() {
        return nKvHead * headDim;
    }
}
