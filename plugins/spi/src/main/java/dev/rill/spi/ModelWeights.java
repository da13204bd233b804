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
     * One transformer block. {@code qNorm}/{@code kNorm} (per-head RMSNorm, Qwen 3) and
     * {@code gate} (SwiGLU) are {@code null} where the architecture has none.
     */
    public record Block(NormWeights attnNorm, Linear q, Linear k, Linear v, Linear o,
                        Tensor qNorm, Tensor kNorm, NormWeights mlpNorm, Linear up, Linear gate, Linear down) {
    }
}
