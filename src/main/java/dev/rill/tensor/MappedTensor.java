package dev.rill.tensor;

import dev.rill.spi.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * A {@code rows × cols} matrix in one of GGML's storage types (F32, F16, BF16 or a block
 * quantization), kept in a {@link MemorySegment}: usually a slice of a memory-mapped GGUF file, so
 * its bytes are never copied to the heap. Each row is {@link BlockFormats#rowBytes} bytes, blocks
 * running along {@code cols}.
 *
 * <p>Quantized matrices the CPU multiplies are repacked once, on first use, into the layout of
 * the integer kernels ({@link PackedWeights}); that copy lives as long as this tensor. (Not a
 * record for that reason: the copy is a cache, not part of the value.)
 */
public final class MappedTensor implements Tensor {

    private final DType type;
    private final int rows, cols;
    private final MemorySegment data;
    private volatile PackedWeights packed;

    public MappedTensor(DType type, int rows, int cols, MemorySegment data) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("bad tensor shape " + rows + "x" + cols);
        if (cols % BlockFormats.blockSize(type) != 0) {
            throw new IllegalArgumentException(type + " rows must be a multiple of " + BlockFormats.blockSize(type) + " elements, not " + cols);
        }
        long need = (long) rows * BlockFormats.rowBytes(type, cols);
        if (data.byteSize() != need) {
            throw new IllegalArgumentException(type + " tensor " + rows + "x" + cols + " needs " + need + " bytes, got " + data.byteSize());
        }
        this.type = type;
        this.rows = rows;
        this.cols = cols;
        this.data = data;
    }

    @Override
    public DType type() {
        return type;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    public MemorySegment data() {
        return data;
    }

    public long rowBytes() {
        return BlockFormats.rowBytes(type, cols);
    }

    /** Byte offset of row {@code r} in {@link #data}. */
    public long rowOffset(int r) {
        return r * rowBytes();
    }

    /** Row {@code r} as float32 into {@code out[oo .. oo+cols)}. */
    public void dequantizeRow(int r, float[] out, int oo) {
        BlockFormats.dequantize(type, data, rowOffset(r), out, oo, cols);
    }

    /** The whole tensor as float32 (for small tensors: norms, biases, tests). */
    public float[] toFloats() {
        float[] out = new float[Math.multiplyExact(rows, cols)];
        for (int r = 0; r < rows; r++) dequantizeRow(r, out, r * cols);
        return out;
    }

    /** Whether the integer kernels take this matrix ({@link PackedWeights#supports} its type and it fits their arrays). */
    boolean packable() {
        return PackedWeights.supports(type) && PackedWeights.fits(type, rows, cols);
    }

    /**
     * The repacked copy for the integer kernels, built on first use. The mapped pages it was read
     * from are then handed back to the OS (except Q8_0's, which prompts still read) (they stay in its file cache; a later read of
     * {@link #data} pages them in again), so a model is not resident twice.
     */
    PackedWeights packed() {
        PackedWeights p = packed;
        if (p == null) {
            synchronized (this) {
                p = packed;
                if (p == null) {
                    packed = p = new PackedWeights(this);
                    // Q8_0 prompts still read the file's blocks (MatMul.integerPath).
                    if (data.isMapped() && type != DType.Q8_0) data.unload();
                }
            }
        }
        return p;
    }

    @Override
    public String toString() {
        return "MappedTensor[" + type + " " + rows + "x" + cols + "]";
    }
}
