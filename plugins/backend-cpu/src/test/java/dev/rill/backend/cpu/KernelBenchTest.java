package dev.rill.backend.cpu;

import dev.rill.spi.Tensor.DType;
import dev.rill.tensor.Parallel;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link KernelBench} times real products whose results it has checked (no timing asserted). */
class KernelBenchTest {

    @Test
    void timesCheckedProductsInCacheFromMemoryAndForPrompts() {
        try (Parallel pool = new Parallel(2)) {
            pool.run(() -> KernelBench.warmUp(java.util.List.of(DType.Q4_K, DType.F16), 512, 8));
            for (DType t : new DType[]{DType.Q4_K, DType.F16}) {
                KernelBench.Result r = pool.call(() -> KernelBench.run(t, 96, 512, 1 << 20, 8, 0.05));
                assertEquals(t == DType.Q4_K ? 144.0 / 256 : 2.0, r.bytesPerWeight(), 1e-12);
                // 1 MiB over a 96 x 512 matrix's stored bytes: enough copies to hold it.
                assertEquals((int) Math.ceil((1 << 20) / (r.bytesPerWeight() * 96 * 512)), r.copies());
                // int8 activations (Q4_K) lose ~1e-2 against float64; F16 weights times float activations ~1e-6.
                assertTrue(r.maxRelativeError() < (t == DType.Q4_K ? 0.03 : 1e-4), t + " error " + r.maxRelativeError());
                for (double rate : new double[]{r.cacheWeightsPerSec(), r.memoryWeightsPerSec(), r.promptMacsPerSec(), r.memoryBytesPerSec()}) {
                    assertTrue(rate > 0 && Double.isFinite(rate), t + ": " + r);
                }
            }
        }
        double read = KernelBench.streamRead(8 << 20, 0.05);
        assertTrue(read > 0 && Double.isFinite(read), "read " + read);
    }

    @Test
    void shapesTheKernelsCannotTakeAreRefusedWithTheReason() {
        var e = assertThrows(IllegalArgumentException.class, () -> KernelBench.run(DType.Q4_K, 64, 100, 1 << 20, 8, 0.05));
        assertEquals("Q4_K rows hold whole blocks of 256 weights; 100 columns is not a multiple of 256", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KernelBench.warmUp(java.util.List.of(DType.Q8_0, DType.Q6_K), 96, 8));
        assertEquals("Q6_K rows hold whole blocks of 256 weights; 96 columns is not a multiple of 256", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KernelBench.run(DType.Q8_0, 0, 64, 1 << 20, 8, 0.05));
        assertTrue(e.getMessage().contains("at least one row and one column, got 0x64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KernelBench.run(DType.Q4_0, 65536, 65536, 1 << 20, 8, 0.05));
        assertTrue(e.getMessage().contains("65536x65536 matrix has over 2^31 weights"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> KernelBench.run(DType.Q8_0, 64, 64, 1 << 20, 1, 0.05));
        assertTrue(e.getMessage().contains("at least 2 rows, got 1"), e.getMessage());
    }
}
