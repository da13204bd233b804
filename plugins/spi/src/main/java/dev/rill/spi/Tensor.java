package dev.rill.spi;

import java.lang.foreign.MemorySegment;

/**
 * A two-dimensional block of weights that describes itself completely, so that any backend can
 * read any model without knowing who made it: its element {@link #type()}, its shape
 * ({@code rows × cols}, row-major; a vector is one row), and its bytes ({@link #bytes()}), each row
 * {@link #rowBytes()} long in {@link BlockFormats}' encoding of the type (quantized types store a row
 * in blocks along {@code cols}), row {@code r} starting at byte {@link #rowOffset(int) rowOffset(r)}.
 *
 * <p>Two kinds exist: {@link F32Tensor}, float32 on the heap (a trained model's parameters; its
 * bytes are a view of the {@code float[]}, {@code MemorySegment.ofArray}), and {@link MappedTensor},
 * any type in a {@link MemorySegment} (usually a slice of a memory-mapped GGUF file). A backend may
 * take fast paths for either, and can always fall back on {@link #dequantizeRow}.
 */
public sealed interface Tensor permits F32Tensor, MappedTensor {

    DType type();

    int rows();

    int cols();

    /** The memory holding the rows (a heap tensor's whole array; a mapped tensor's own bytes). */
    MemorySegment bytes();

    /** Byte offset of row {@code r} in {@link #bytes()}. */
    long rowOffset(int r);

    /** Bytes of one row in {@link #type()}'s encoding. */
    default long rowBytes() {
        return BlockFormats.rowBytes(type(), cols());
    }

    /** Rows {@code [from, to)} as a tensor of their own, sharing these bytes (e.g. q, k and v of a fused projection). */
    Tensor rows(int from, int to);

    /** Row {@code r} as float32 into {@code out[oo .. oo+cols)}. */
    default void dequantizeRow(int r, float[] out, int oo) {
        if (r < 0 || r >= rows()) throw new IndexOutOfBoundsException("row " + r + " of a tensor with " + rows() + " rows");
        BlockFormats.dequantize(type(), bytes(), rowOffset(r), out, oo, cols());
    }

    /** The whole tensor as float32, row after row (for small tensors: norms, biases, tests; or a backend's upload). */
    default float[] toFloats() {
        float[] out = new float[Math.multiplyExact(rows(), cols())];
        for (int r = 0; r < rows(); r++) dequantizeRow(r, out, r * cols());
        return out;
    }

    /** Element types of weights. Quantized types follow GGML's block formats ({@link BlockFormats}). */
    enum DType { F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K }
}
