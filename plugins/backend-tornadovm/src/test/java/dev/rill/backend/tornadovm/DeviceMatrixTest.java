package dev.rill.backend.tornadovm;

import dev.rill.spi.BlockFormats;
import dev.rill.spi.F32Tensor;
import dev.rill.spi.Linear;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.Tensor;
import dev.rill.spi.Tensor.DType;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How weights are laid out for the device, checked on the host: which format a stack of tensors
 * is kept in, that stored bytes arrive unchanged, that the conversions (Q4_0 → Q8_0, K-quant →
 * Q8_0, BF16 → F32, GPT-2's transposed matrices) mean what the source means, and the kernels'
 * integer-only fp16 decoding for every finite half.
 */
class DeviceMatrixTest {

    private static MappedTensor stored(DType type, int rows, int cols, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        return new MappedTensor(type, rows, cols, MemorySegment.ofArray(BlockFormats.quantize(type, x, 0, x.length)));
    }

    /** The matrix filled as the device gets it, decoded back to floats with the SPI's reference decoder. */
    private static float[] decodedFromDevice(DeviceMatrix m) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dst = arena.allocate(m.dataBytes());
            m.fill(dst);
            float[] out = new float[m.rows() * m.cols()];
            for (int r = 0; r < m.rows(); r++) BlockFormats.dequantize(DeviceMatrix.dtype(m.type()), dst, r * m.rowBytes(), out, r * m.cols(), m.cols());
            return out;
        }
    }

    private static DeviceMatrix stack(Tensor... parts) {
        return DeviceMatrix.of("test", java.util.Arrays.stream(parts).map(t -> new DeviceMatrix.Part(t, Linear.Layout.OUT_IN)).toList());
    }

    @Test
    void storedFormatsStayAsTheyAreByteForByte() {
        for (DType type : List.of(DType.F32, DType.F16, DType.Q8_0, DType.Q4_0)) {
            MappedTensor q = stored(type, 6, 64, 1), k = stored(type, 2, 64, 2);
            DeviceMatrix m = stack(q, k);
            assertEquals(type, DeviceMatrix.dtype(m.type()), type + " is kept as stored");
            assertEquals(8, m.rows());
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment dst = arena.allocate(m.dataBytes());
                m.fill(dst);
                assertEquals(-1, q.data().mismatch(dst.asSlice(0, q.data().byteSize())), type + ": q's bytes unchanged");
                assertEquals(-1, k.data().mismatch(dst.asSlice(q.data().byteSize())), type + ": k's bytes follow q's unchanged");
            }
        }
    }

    @Test
    void mixedStacksTakeTheSmallestExactFormat() {
        MappedTensor q4 = stored(DType.Q4_0, 4, 64, 3), q8 = stored(DType.Q8_0, 2, 64, 4), f16 = stored(DType.F16, 2, 64, 5);
        DeviceMatrix widened = stack(q4, q8);
        assertEquals(Kernels.Q8_0, widened.type());
        float[] want = concat(q4.toFloats(), q8.toFloats());
        assertArrayEquals(want, decodedFromDevice(widened), "Q4_0 widened to Q8_0 keeps every value exactly");

        DeviceMatrix f32 = stack(q8, f16);
        assertEquals(Kernels.F32, f32.type());
        assertArrayEquals(concat(q8.toFloats(), f16.toFloats()), decodedFromDevice(f32), "Q8_0 with F16 becomes exact F32");
    }

    @Test
    void bf16BecomesF32AndKQuantsBecomeQ8_0WithinAboutHalfAStep() {
        MappedTensor bf16 = stored(DType.BF16, 3, 64, 6);
        DeviceMatrix b = stack(bf16);
        assertEquals(Kernels.F32, b.type());
        assertArrayEquals(bf16.toFloats(), decodedFromDevice(b));

        for (DType k : List.of(DType.Q4_K, DType.Q5_K, DType.Q6_K)) {
            MappedTensor t = stored(k, 3, 256, 7);
            DeviceMatrix m = stack(t);
            assertEquals(Kernels.Q8_0, m.type(), k + " is held as Q8_0");
            float[] want = t.toFloats(), got = decodedFromDevice(m);
            for (int blk = 0; blk < want.length / 32; blk++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(want[blk * 32 + j]));
                for (int j = 0; j < 32; j++) {
                    int i = blk * 32 + j;
                    // GGML's Q8_0 rounds x·127/amax to an integer q (half a step, d = amax/127), then stores d
                    // as fp16 (off by up to 2^-11·d, times |q| ≤ 127): at most (0.5 + 127·2^-11)·d.
                    assertTrue(Math.abs(got[i] - want[i]) <= (0.5 + 127.0 / 2048) * amax / 127 * (1 + 1e-6) + 1e-7,
                            k + " element " + i + ": " + got[i] + " vs " + want[i]);
                }
            }
        }
    }

    @Test
    void gpt2MatricesAreTransposedToRowsOfOutputs() {
        float[] inOut = new float[5 * 3];
        for (int i = 0; i < inOut.length; i++) inOut[i] = i;
        DeviceMatrix m = DeviceMatrix.of("conv1d", F32Tensor.of(inOut, 0, 5, 3), Linear.Layout.IN_OUT);
        assertEquals(3, m.rows());
        assertEquals(5, m.cols());
        float[] got = decodedFromDevice(m);
        for (int o = 0; o < 3; o++) for (int i = 0; i < 5; i++) assertEquals(inOut[i * 3 + o], got[o * 5 + i]);
    }

    @Test
    void stacksOfDifferentWidthsAreRefused() {
        var e = assertThrows(IllegalArgumentException.class, () -> stack(stored(DType.Q8_0, 2, 64, 1), stored(DType.Q8_0, 2, 96, 2)));
        assertTrue(e.getMessage().contains("parts of 96 and 64 inputs cannot be stacked"), e.getMessage());
    }

    @Test
    void halvesDecodeWithIntegerOperationsExactly() {
        int checked = 0;
        for (int h = 0; h < 1 << 16; h++) {
            if (((h >> 10) & 31) == 31) continue; // infinities and NaNs: never weights
            assertEquals(Float.float16ToFloat((short) h), Kernels.halfToFloat(h), "half 0x" + Integer.toHexString(h));
            checked++;
        }
        assertEquals(63488, checked);
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
