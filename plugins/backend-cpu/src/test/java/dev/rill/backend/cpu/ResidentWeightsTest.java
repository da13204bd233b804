package dev.rill.backend.cpu;

import dev.rill.spi.BlockFormats;
import dev.rill.spi.Linear;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.Tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Float weights of a mapped file copied into huge pages: same bytes, same products, one copy per matrix. */
class ResidentWeightsTest {

    @TempDir
    Path dir;

    @Test
    void readsWhetherTheKernelHandsOutHugePages() throws IOException {
        Path f = dir.resolve("enabled");
        Files.writeString(f, "always [madvise] never\n");
        assertTrue(HugePages.enabled(f));
        Files.writeString(f, "[always] madvise never\n");
        assertTrue(HugePages.enabled(f));
        Files.writeString(f, "always madvise [never]\n");
        assertFalse(HugePages.enabled(f));
        assertFalse(HugePages.enabled(dir.resolve("absent")));
    }

    @Test
    void hugePageMemoryIsAlignedZeroedAndWritable() {
        assumeTrue(HugePages.available(), "no transparent huge pages here");
        long n = (3L << 20) + 5;
        MemorySegment s = HugePages.allocate(n, () -> { });
        assertNotNull(s);
        assertEquals(n, s.byteSize());
        assertEquals(0, s.address() % (2L << 20), "starts on a huge page");
        assertEquals(0, s.get(ValueLayout.JAVA_BYTE, n - 1));
        s.set(ValueLayout.JAVA_BYTE, n - 1, (byte) 7);
        assertEquals(7, s.get(ValueLayout.JAVA_BYTE, n - 1));
    }

    /** Copies are counted against the budget only while they live: unreachable memory is unmapped and said so. */
    @Test
    void hugePageMemoryIsUnmappedOnceUnreachable() throws InterruptedException {
        assumeTrue(HugePages.available(), "no transparent huge pages here");
        java.util.concurrent.atomic.AtomicBoolean freed = new java.util.concurrent.atomic.AtomicBoolean();
        MemorySegment s = HugePages.allocate(1 << 20, () -> freed.set(true));
        assertNotNull(s);
        s.set(ValueLayout.JAVA_BYTE, 0, (byte) 1);
        s = null;
        for (int i = 0; i < 200 && !freed.get(); i++) {
            System.gc();
            Thread.sleep(25);
        }
        assertTrue(freed.get(), "unmapped after it became unreachable");
    }

    @Test
    void mappedFloatMatricesAreCopiedOnceAndMultiplyAsBefore() throws IOException {
        assumeTrue(HugePages.available(), "no transparent huge pages here");
        int in = 200, out = 37;
        float[] wf = QuantKernelsTest.gaussian(in * out, 41, 0.3f);
        for (DType t : new DType[]{DType.F32, DType.F16, DType.BF16}) {
            byte[] bytes = BlockFormats.quantize(t, wf, 0, wf.length);
            Path file = dir.resolve(t + ".bin");
            Files.write(file, bytes);
            try (Arena arena = Arena.ofShared(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                MappedTensor mapped = new MappedTensor(t, out, in, ch.map(FileChannel.MapMode.READ_ONLY, 0, bytes.length, arena));
                MappedTensor resident = ResidentWeights.of(mapped);
                assertNotSame(mapped, resident, t + " copied");
                assertFalse(resident.data().isMapped());
                assertEquals(-1, resident.data().mismatch(MemorySegment.ofArray(bytes)), t + " bytes");
                assertSame(resident, ResidentWeights.of(mapped), "one copy per matrix");
                MappedTensor onHeap = new MappedTensor(t, out, in, MemorySegment.ofArray(bytes)); // never copied
                assertSame(onHeap, ResidentWeights.of(onHeap));
                for (int M : new int[]{1, 3, 40}) {
                    float[] x = QuantKernelsTest.gaussian(M * in, 50 + M, 1f);
                    float[] viaCopy = new float[M * out], inPlace = new float[M * out];
                    MatMul.forward(new Linear(mapped, null, Linear.Layout.OUT_IN), x, M, viaCopy);
                    MatMul.forward(new Linear(onHeap, null, Linear.Layout.OUT_IN), x, M, inPlace);
                    assertArrayEquals(inPlace, viaCopy, t + " M=" + M);
                }
            }
        }
    }
}
