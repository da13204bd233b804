package dev.rill.spi;

import java.util.List;

/**
 * Everything a {@link ComputeBackend} needs to run a model: its architecture, positional encoder
 * (with the tensors it owns) and every weight, block by block.
 *
 * @param tokenEmbedding    {@code (nVocab, nEmb)}
 * @param positionalWeights the tensors of {@link PositionalEncoder#parameters()}, in order
 * @param output            the LM head (for a tied head, {@code tokenEmbedding} as {@code OUT_IN})
 */
public record ModelWeights(Architecture arch, PositionalEncoder positional, Tensor tokenEmbedding,
                           List<TensorView> positionalWeights, List<Block> blocks, NormWeights finalNorm,
                           Linear output) {

    /** Scale and (LayerNorm only) shift of a normalisation. */
    public record NormWeights(Tensor weight, Tensor bias) {
    }

    /**
     * One transformer block. {@code qNorm}/{@code kNorm} (per-head RMSNorm, Qwen 3, Gemma 3),
     * {@code gate} (SwiGLU, GeGLU) and the norms after attention and after the MLP (Gemma 2/3,
     * applied before each residual add) are {@code null} where the architecture has none.
     *
     * @param slidingWindow a query sees only the last this many positions, itself included (0 = all)
     * @param positional    this block's own positional encoder (Gemma 3's local layers), or {@code null} for the model's
     */
    public record Block(NormWeights attnNorm, Linear q, Linear k, Linear v, Linear o,
                        Tensor qNorm, Tensor kNorm, NormWeights mlpNorm, Linear up, Linear gate, Linear down,
                        NormWeights postAttnNorm, NormWeights postMlpNorm, int slidingWindow, PositionalEncoder positional) {

        /** A block of the plain transformer: no post-norms, full attention, the model's positional encoder. */
        public Block(NormWeights attnNorm, Linear q, Linear k, Linear v, Linear o, Tensor qNorm, Tensor kNorm,
                     NormWeights mlpNorm, Linear up, Linear gate, Linear down) {
            this(attnNorm, q, k, v, o, qNorm, kNorm, mlpNorm, up, gate, down, null, null, 0, null);
        }

        /** The same block with its own positional encoder. */
        public Block withPositional(PositionalEncoder encoder) {
            return new Block(attnNorm, q, k, v, o, qNorm, kNorm, mlpNorm, up, gate, down, postAttnNorm, postMlpNorm, slidingWindow, encoder);
        }
    }

    /** The positional encoder block {@code l} rotates and biases with. */
    public PositionalEncoder positional(int l) {
        PositionalEncoder own = blocks.get(l).positional();
        return own != null ? own : positional;
    }
}
