package dev.rill.backend.tornadovm;

import dev.rill.spi.F32Tensor;
import dev.rill.spi.Tensor;
import dev.rill.tensor.BlockFormats;
import dev.rill.tensor.MappedTensor;

import java.lang.foreign.MemorySegment;

/**
 * How this backend reads a model's tensors on the host: a float32 matrix on the heap (Rill's own
 * checkpoints, GGUF norms and biases) or a GGUF tensor in its stored type, memory-mapped. The only
 * place that knows the engine's tensor classes.
 */
final class HostTensors {

    private HostTensors() {
    }

    /** The stored bytes of a memory-mapped tensor in its own type, or {@code null} for a heap matrix. */
    static MemorySegment storedBytes(Tensor t) {
        return t instanceof MappedTensor m ? m.data() : null;
    }

    /** Row {@code r} as float32 into {@code out[0 .. cols)}. */
    static void row(Tensor t, int r, float[] out) {
        switch (t) {
            case F32Tensor f -> System.arraycopy(f.data(), f.offset() + r * f.rowStride(), out, 0, f.cols());
            case MappedTensor m -> m.dequantizeRow(r, out, 0);
            default -> throw new IllegalArgumentException("the tornadovm backend cannot read a " + t.getClass().getSimpleName() + " tensor");
        }
    }

    /** Column {@code c} as float32 into {@code out[0 .. rows)} (GPT-2's {@code (in, out)} matrices, read as rows of {@code (out, in)}). */
    static void column(Tensor t, int c, float[] out) {
        if (!(t instanceof F32Tensor f)) {
            throw new IllegalArgumentException("the tornadovm backend transposes float32 matrices only, not " + t.type());
        }
        for (int r = 0; r < f.rows(); r++) out[r] = f.data()[f.offset() + r * f.rowStride() + c];
    }

    /** All values, row-major, as float32 (norm weights, biases). */
    static float[] floats(Tensor t) {
        float[] all = new float[Math.multiplyExact(t.rows(), t.cols())], row = new float[t.cols()];
        for (int r = 0; r < t.rows(); r++) {
            row(t, r, row);
            System.arraycopy(row, 0, all, r * t.cols(), t.cols());
        }
        return all;
    }

    /** {@code row} in GGML's Q8_0 blocks at {@code dst[at ..]}. */
    static void quantizeQ8(float[] row, MemorySegment dst, long at) {
        byte[] q = BlockFormats.quantize(Tensor.DType.Q8_0, row, 0, row.length);
        MemorySegment.copy(MemorySegment.ofArray(q), 0, dst, at, q.length);
    }

    /** Bytes of one row of {@code cols} elements in {@code type}. */
    static long rowBytes(Tensor.DType type, int cols) {
        return BlockFormats.rowBytes(type, cols);
    }
}
