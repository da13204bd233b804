package dev.rill.spi;

/**
 * How position enters the model: added to the embeddings (learned, sinusoidal), rotating queries
 * and keys (RoPE), a bias on attention scores (ALiBi), or nothing.
 */
public interface PositionalEncoding extends Plugin {

    /**
     * An encoder for a model of the given shape.
     *
     * @throws IllegalArgumentException when the shape or parameters do not suit this encoding
     */
    PositionalEncoder create(ModelShape shape, Params params);
}
