package dev.rill.backend.tornadovm;

import dev.rill.spi.BlockFormats;
import dev.rill.spi.Linear;
import dev.rill.spi.Tensor;
import dev.rill.spi.Tensor.DType;
import uk.ac.manchester.tornado.api.types.arrays.ByteArray;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.ShortArray;
import uk.ac.manchester.tornado.api.types.arrays.TornadoNativeArray;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;

/**
 * A weight matrix {@code (rows, cols)} as the device holds it: the rows of one or more host tensors
 * stacked (q/k/v, or SwiGLU's gate and up), in one device format.
 *
 * <p>F32, F16, Q8_0 and Q4_0 stay as stored: their bytes are copied from the mapped file as they
 * are. The K-quants (Q4_K, Q5_K, Q6_K) become Q8_0 once, at load (8.5 bits per weight instead of
 * 4.5, 5.5 or 6.56, and a second rounding of at most 0.56 of a Q8_0 step: half a step, plus the
 * fp16 rounding of the block's scale); BF16 becomes F32 (exact,
 * twice the bytes). Parts of different formats stacked together take the smallest format that
 * holds each exactly: Q4_0 with Q8_0 becomes Q8_0 (same scales, wider integers); anything else F32.
 *
 * @param type  the device format, {@link Kernels#F32} … {@link Kernels#Q4_0}
 * @param parts the host tensors, in row order, each with its layout ({@code IN_OUT} parts are transposed)
 */
record DeviceMatrix(int type, int rows, int cols, List<Part> parts, String name) {

    private static final ValueLayout.OfShort F16_BITS = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** A host tensor seen as {@code (out, in)} rows. */
    record Part(Tensor tensor, Linear.Layout layout) {
        int outs() {
            return layout == Linear.Layout.OUT_IN ? tensor.rows() : tensor.cols();
        }

        int ins() {
            return layout == Linear.Layout.OUT_IN ? tensor.cols() : tensor.rows();
        }
    }

    /**
     * The parts stacked, in the format that holds them all.
     *
     * @throws IllegalArgumentException when their widths differ or the result outgrows a TornadoVM array
     */
    static DeviceMatrix of(String name, List<Part> parts) {
        int cols = parts.getFirst().ins(), rows = 0;
        int type = -1;
        for (Part p : parts) {
            if (p.ins() != cols) throw new IllegalArgumentException(name + ": parts of " + p.ins() + " and " + cols + " inputs cannot be stacked");
            rows += p.outs();
            int t = p.layout() == Linear.Layout.IN_OUT ? Kernels.F32 : nativeType(p.tensor().type());
            type = type < 0 || type == t ? t : join(type, t);
        }
        DeviceMatrix m = new DeviceMatrix(type, rows, cols, List.copyOf(parts), name);
        long elements = m.type == Kernels.F32 || m.type == Kernels.F16 ? (long) rows * cols : m.dataBytes();
        if (elements > Integer.MAX_VALUE - TornadoNativeArray.ARRAY_HEADER) {
            throw new IllegalArgumentException(name + " (" + rows + "x" + cols + ") outgrows a TornadoVM array of 2^31 elements");
        }
        return m;
    }

    static DeviceMatrix of(String name, Tensor t, Linear.Layout layout) {
        return of(name, List.of(new Part(t, layout)));
    }

    /** The device format a stored type is kept in. */
    static int nativeType(DType t) {
        return switch (t) {
            case F32, BF16 -> Kernels.F32;
            case F16 -> Kernels.F16;
            case Q8_0, Q4_K, Q5_K, Q6_K -> Kernels.Q8_0;
            case Q4_0 -> Kernels.Q4_0;
        };
    }

    private static int join(int a, int b) {
        boolean quantA = a == Kernels.Q8_0 || a == Kernels.Q4_0, quantB = b == Kernels.Q8_0 || b == Kernels.Q4_0;
        return quantA && quantB ? Kernels.Q8_0 : Kernels.F32;
    }

    static String typeName(int type) {
        return switch (type) {
            case Kernels.F32 -> "F32";
            case Kernels.F16 -> "F16";
            case Kernels.Q8_0 -> "Q8_0";
            case Kernels.Q4_0 -> "Q4_0";
            default -> throw new IllegalArgumentException("device type " + type);
        };
    }

    static DType dtype(int type) {
        return DType.valueOf(typeName(type));
    }

    long rowBytes() {
        return BlockFormats.rowBytes(dtype(type), cols);
    }

    long dataBytes() {
        return rows * rowBytes();
    }

    /** The TornadoVM array for this matrix over {@code staging} memory (filled later by {@link #fill}). */
    Object allocate(HostStaging staging) {
        MemorySegment s = staging.allocate(TornadoNativeArray.ARRAY_HEADER + dataBytes());
        return switch (type) {
            case Kernels.F32 -> FloatArray.fromSegmentShallow(s);
            case Kernels.F16 -> ShortArray.fromSegmentShallow(s);
            default -> ByteArray.fromSegmentShallow(s);
        };
    }

    /** Writes the rows in the device format into {@code dst} (the array's data, after its header). */
    void fill(MemorySegment dst) {
        long at = 0;
        float[] row = new float[cols];
        for (Part p : parts) {
            Tensor t = p.tensor();
            int outs = p.outs();
            if (p.layout() == Linear.Layout.IN_OUT) {
                float[] all = t.toFloats(); // (in, out): output r is column r
                for (int r = 0; r < outs; r++) {
                    for (int i = 0; i < cols; i++) row[i] = all[i * outs + r];
                    at = encode(row, dst, at);
                }
            } else if (t.type() == dtype(type)) {
                at = copyRows(t, dst, at); // as stored: straight from the mapped file
            } else if (t.type() == DType.Q4_0 && type == Kernels.Q8_0) {
                for (int r = 0; r < outs; r++) at = widenQ4(t.bytes(), t.rowOffset(r), dst, at);
            } else {
                for (int r = 0; r < outs; r++) {
                    t.dequantizeRow(r, row, 0);
                    at = encode(row, dst, at);
                }
            }
        }
        if (at != dataBytes()) throw new IllegalStateException(name + ": wrote " + at + " bytes, expected " + dataBytes());
    }

    /** The stored rows, byte for byte: in one copy when they lie back to back (a GGUF tensor), else row by row (a view). */
    private static long copyRows(Tensor t, MemorySegment dst, long at) {
        long rowBytes = t.rowBytes(), all = t.rows() * rowBytes;
        if (t.rowOffset(t.rows() - 1) - t.rowOffset(0) == all - rowBytes) {
            MemorySegment.copy(t.bytes(), t.rowOffset(0), dst, at, all);
            return at + all;
        }
        for (int r = 0; r < t.rows(); r++, at += rowBytes) MemorySegment.copy(t.bytes(), t.rowOffset(r), dst, at, rowBytes);
        return at;
    }

    /** A row of Q4_0 blocks as Q8_0 with the same scales: {@code q − 8} fits an int8, so nothing is rounded. */
    private long widenQ4(MemorySegment src, long from, MemorySegment dst, long at) {
        for (int b = 0; b < cols / 32; b++, at += 34) {
            long s = from + b * 18L;
            dst.set(F16_BITS, at, src.get(F16_BITS, s));
            for (int j = 0; j < 16; j++) {
                int q = Byte.toUnsignedInt(src.get(ValueLayout.JAVA_BYTE, s + 2 + j));
                dst.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) ((q & 15) - 8));
                dst.set(ValueLayout.JAVA_BYTE, at + 2 + j + 16, (byte) ((q >> 4) - 8));
            }
        }
        return at;
    }

    private long encode(float[] row, MemorySegment dst, long at) {
        switch (type) {
            case Kernels.F32 -> MemorySegment.copy(row, 0, dst, F32_LE, at, cols);
            case Kernels.F16 -> {
                for (int i = 0; i < cols; i++) dst.set(F16_BITS, at + 2L * i, Float.floatToFloat16(row[i]));
            }
            case Kernels.Q8_0 -> {
                byte[] q = BlockFormats.quantize(DType.Q8_0, row, 0, cols);
                MemorySegment.copy(MemorySegment.ofArray(q), 0, dst, at, q.length);
            }
            default -> throw new IllegalStateException(name + ": cannot encode into " + typeName(type));
        }
        return at + rowBytes();
    }
}
