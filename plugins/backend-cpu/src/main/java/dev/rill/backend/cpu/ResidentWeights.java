package dev.rill.backend.cpu;

import dev.rill.spi.MappedTensor;
import dev.rill.spi.Tensor.DType;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicLong;

/**
 * F32, F16 and BF16 matrices of a mapped GGUF file copied once into huge pages ({@link HugePages}),
 * as the quantized ones are repacked into the (huge-page) heap: their decode streams every weight
 * once per token, and through the file's 4 KiB pages it waited on TLB misses (stories110M shape,
 * one thread: F32 33 → 39 tok/s, F16 85 → 98 with the same kernels). The mapped pages are then
 * handed back to the OS, so the model is not resident twice. Copies stop at half the memory
 * ({@link #BUDGET}); the rest is read in place, as is everything where huge pages are not to be had
 * or {@code -Drill.residentFloats=false}. Since {@link FloatPanels} repacks float matrices into the
 * heap, this copy is what a matrix gets that the heap cannot take.
 */
final class ResidentWeights {

    private static final boolean ON = !"false".equals(System.getProperty("rill.residentFloats"));
    /** Bytes all live copies together may take: half the memory the JVM sees (its container's limit, where it has one). */
    static final long BUDGET = (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
            ? os.getTotalMemorySize() : 0) / 2;
    private static final AtomicLong used = new AtomicLong();
    private static final TensorCache<MappedTensor> CACHE = new TensorCache<>();

    private ResidentWeights() {
    }

    /** Whether {@code t} is a float matrix read from a mapped file, the kind this copies. */
    static boolean copies(MappedTensor t) {
        return ON && HugePages.available() && t.data().isMapped()
                && (t.type() == DType.F32 || t.type() == DType.F16 || t.type() == DType.BF16);
    }

    /** The resident copy of {@code t}, made on first use; {@code t} itself where it is not copied. */
    static MappedTensor of(MappedTensor t) {
        return copies(t) ? CACHE.get(t, ResidentWeights::copy) : t;
    }

    private static MappedTensor copy(MappedTensor t) {
        long bytes = t.data().byteSize();
        if (used.addAndGet(bytes) > BUDGET) {
            used.addAndGet(-bytes);
            return t;
        }
        MemorySegment copy = HugePages.allocate(bytes, () -> used.addAndGet(-bytes));
        if (copy == null) {
            used.addAndGet(-bytes);
            return t;
        }
        copy.copyFrom(t.data());
        t.data().unload();
        return new MappedTensor(t.type(), t.rows(), t.cols(), copy);
    }
}
