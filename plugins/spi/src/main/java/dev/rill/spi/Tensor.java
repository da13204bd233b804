package dev.rill.spi;

/**
 * A two-dimensional block of weights ({@code rows × cols}, row-major; a vector is one row).
 * Quantized types store each row in blocks along {@code cols}.
 */
public interface Tensor {

    DType type();

    int rows();

    int cols();

    /** Element types of weights. Quantized types follow GGML's block formats. */
    enum DType { F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K }
}
