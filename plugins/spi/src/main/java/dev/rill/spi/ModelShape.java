package dev.rill.spi;

/**
 * The sizes a positional encoding needs.
 *
 * @param nEmb       embedding width
 * @param nHead      attention heads (query heads)
 * @param headDim    width of one head
 * @param T          context size the model is trained with
 * @param maxContext longest context it may be run with (≥ T; equal to T where positions past T do not exist)
 */
public record ModelShape(int nEmb, int nHead, int headDim, int T, int maxContext) {
}
