package dev.rill.gguf;

import dev.rill.spi.Tensor.DType;
import dev.rill.spi.BlockFormats;
import dev.rill.spi.MappedTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The reader against a file written by llama.cpp's own Python package (gguf-py), see
 * src/test/python/make_reference_gguf.py: every metadata type, alignment 64, and every block
 * format decoded exactly as gguf-py decodes it.
 */
class GgufFileTest {

    @TempDir
    Path tmp;

    static Path reference(Path tmp) throws IOException {
        Path p = tmp.resolve("reference.gguf");
        try (InputStream in = GgufFileTest.class.getResourceAsStream("/gguf/reference.gguf")) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void readsEveryMetadataTypeWrittenByGgufPy() throws IOException {
        try (GgufFile f = GgufFile.open(reference(tmp))) {
            assertEquals(3, f.version());
            assertEquals(64, f.alignment());
            assertEquals(0, f.dataOffset() % 64);
            assertEquals("llama", f.getString("general.architecture"));
            assertEquals(200, f.getLong("test.u8"));
            assertEquals(-100, f.getLong("test.i8"));
            assertEquals(60000, f.getLong("test.u16"));
            assertEquals(-30000, f.getLong("test.i16"));
            assertEquals(4000000000L, f.getLong("test.u32"));
            assertEquals(-2000000000L, f.getLong("test.i32"));
            assertEquals(0.15625, f.getDouble("test.f32"));
            assertEquals((1L << 40) + 7, f.getLong("test.u64"));
            assertEquals(-(1L << 40) - 7, f.getLong("test.i64"));
            assertEquals(1e-300, f.getDouble("test.f64"));
            assertTrue(f.getBool("test.bool", false));
            assertEquals("héllo ▁wörld 🦙", f.getString("test.string"));
            assertEquals(List.of("a", "", "ü", "<0x0A>"), f.getStrings("test.strings"));
            assertArrayEquals(new int[]{1, -2, 3}, f.getInts("test.ints"));
            assertArrayEquals(new float[]{0.5f, -1.25f}, f.getFloats("test.floats"));
            assertEquals(GgufValueType.UINT32, f.metadataType("test.u32"));
            GgufException e = assertThrows(GgufException.class, () -> f.getString("test.u32"));
            assertTrue(e.getMessage().contains("test.u32") && e.getMessage().contains("String"), e.getMessage());
        }
    }

    @Test
    void decodesEveryBlockFormatAsGgufPyDoes() throws IOException {
        try (GgufFile f = GgufFile.open(reference(tmp))) {
            for (DType t : DType.values()) {
                MappedTensor q = f.tensor("q." + t);
                float[] ref = f.tensor("ref." + t).toFloats();
                assertEquals(t, q.type());
                assertEquals(3, q.rows());
                assertEquals(512, q.cols());
                float[] got = q.toFloats();
                for (int i = 0; i < ref.length; i++) {
                    // gguf-py computes d·q − dmin·m in float32 as Rill does; allow one rounding step.
                    assertEquals(ref[i], got[i], 1e-6f * Math.max(1, Math.abs(ref[i])), t + " element " + i);
                }
            }
        }
    }

    @Test
    void quantizesQ8_0AndQ4_0BitForBitLikeGgml() throws IOException {
        try (GgufFile f = GgufFile.open(reference(tmp))) {
            for (DType t : List.of(DType.F16, DType.BF16, DType.Q8_0, DType.Q4_0)) {
                float[] src = f.tensor("src." + t).toFloats();
                MemorySegment expected = f.tensor("q." + t).data();
                byte[] mine = BlockFormats.quantize(t, src, 0, src.length);
                assertArrayEquals(expected.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), mine, t.toString());
            }
        }
    }

    @Test
    void writerRoundTripsMetadataAndTensors() throws IOException {
        float[] w = new float[4 * 64];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.sin(i);
        Path p = tmp.resolve("rt.gguf");
        new GgufWriter(2)
                .putString("general.architecture", "qwen3")
                .putUInt32("qwen3.block_count", 3)
                .putFloat32("x.eps", 1e-6f)
                .putBool("x.flag", false)
                .putArray("x.names", GgufValueType.STRING, List.of("ab", "c"))
                .putArray("x.nested", GgufValueType.ARRAY, List.of(new GgufArray(GgufValueType.INT32, List.of(1, 2))))
                .addTensor("w", DType.F32, 4, 64, w)
                .addTensor("v", DType.Q8_0, 1, 64, Arrays.copyOf(w, 64))
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            assertEquals(2, f.version());
            assertEquals("qwen3", f.getString("general.architecture"));
            assertEquals(3, f.getInt("qwen3.block_count", 1));
            assertEquals(1e-6f, (float) f.getDouble("x.eps"));
            assertFalse(f.getBool("x.flag", true));
            assertEquals(List.of("ab", "c"), f.getStrings("x.names"));
            assertEquals(List.of(1, 2), ((GgufArray) f.getArray("x.nested").values().getFirst()).values());
            assertArrayEquals(w, f.tensor("w").toFloats());
            assertArrayEquals(new long[]{64}, f.info("v").dims());
            assertEquals(0, f.info("v").offset() % 32);
        }
    }

    @Test
    void readingTheTensorDataTellsHowFarItHasCome() throws IOException {
        float[] w = new float[16 * 256];
        for (int i = 0; i < w.length; i++) w[i] = (float) Math.cos(i);
        Path p = tmp.resolve("read.gguf");
        new GgufWriter().putString("general.architecture", "llama").addTensor("w", DType.F32, 16, 256, w).write(p);
        try (GgufFile f = GgufFile.open(p)) {
            List<Double> told = new java.util.ArrayList<>();
            f.readTensorData(told::add, 1024);
            long n = f.fileSize() - f.dataOffset();
            assertEquals((n + 1023) / 1024 + 1, told.size(), told.toString());   // a piece at a time, then the end
            for (int i = 1; i < told.size() - 1; i++) assertTrue(told.get(i) > told.get(i - 1), told.toString());
            assertEquals(1.0, told.getLast());
            assertArrayEquals(w, f.tensor("w").toFloats());
        }
    }

    private Path small() throws IOException {
        Path p = tmp.resolve("small.gguf");
        float[] w = new float[8 * 32];
        Arrays.fill(w, 0.25f);
        new GgufWriter().putString("general.architecture", "llama")
                .putArray("tokens", GgufValueType.STRING, List.of("a", "b", "c"))
                .addTensor("w", DType.Q8_0, 8, 32, w).write(p);
        return p;
    }

    @Test
    void everyTruncationGivesAClearErrorNeverACrash() throws IOException {
        Path full = small();
        byte[] whole = Files.readAllBytes(full);
        long end;
        try (GgufFile f = GgufFile.open(full)) {
            GgufFile.TensorInfo t = f.info("w");
            end = f.dataOffset() + t.offset() + t.byteSize(); // padding after the last tensor may go
        }
        for (int len = 0; len < end; len++) {
            Path p = tmp.resolve("cut.gguf");
            Files.write(p, Arrays.copyOf(whole, len));
            GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(p).close(), "cut at " + len);
            assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("too short") || e.getMessage().contains("corrupt"),
                    "cut at " + len + ": " + e.getMessage());
        }
    }

    @Test
    void corruptHeadersNameWhatIsWrong() throws IOException {
        byte[] whole = Files.readAllBytes(small());
        Path p = tmp.resolve("bad.gguf");

        byte[] b = whole.clone();
        b[0] = 'X';
        Files.write(p, b);
        assertMessage(p, "not a GGUF file");

        b = whole.clone();
        b[4] = 1;
        Files.write(p, b);
        assertMessage(p, "version 1");

        b = whole.clone();
        b[4] = 0;
        b[7] = 3;
        Files.write(p, b);
        assertMessage(p, "big-endian");

        b = whole.clone();
        b[4] = 9;
        Files.write(p, b);
        assertMessage(p, "supported: 2, 3");

        b = whole.clone();
        b[15] = 0x7f; // tensor count ~ 2^63
        Files.write(p, b);
        assertMessage(p, "tensor count");

        b = whole.clone();
        b[23] = 0x10; // metadata count huge
        Files.write(p, b);
        assertMessage(p, "metadata count");

        // The first key's value type (after magic, version, counts, and "general.architecture").
        b = whole.clone();
        int typeAt = 24 + 8 + "general.architecture".length();
        b[typeAt] = 42;
        Files.write(p, b);
        assertMessage(p, "not a GGUF value type");

        // A string length far past the end.
        b = whole.clone();
        b[typeAt + 4 + 7] = 0x01;
        Files.write(p, b);
        assertMessage(p, "truncated or corrupt");
    }

    @Test
    void unsupportedTensorTypeListsTheSupportedOnes() throws IOException {
        Path p = tmp.resolve("q4_1.gguf");
        new GgufWriter().putString("general.architecture", "llama")
                .addRaw("w", new long[]{32, 2}, GgmlType.Q4_1.id, 2 * 20, () -> new byte[40])
                .addRaw("odd", new long[]{32, 2}, 77, 8, () -> new byte[8])
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            GgufException e = assertThrows(GgufException.class, () -> f.tensor("w"));
            assertTrue(e.getMessage().contains("Q4_1") && e.getMessage().contains("supported: F32, F16, Q4_0, Q8_0, Q4_K, Q5_K, Q6_K, BF16"), e.getMessage());
            e = assertThrows(GgufException.class, () -> f.tensor("odd"));
            assertTrue(e.getMessage().contains("unknown type 77"), e.getMessage());
            e = assertThrows(GgufException.class, () -> f.tensor("missing"));
            assertTrue(e.getMessage().contains("no tensor 'missing'"), e.getMessage());
        }
    }

    @Test
    void closedFileRefusesReadsInsteadOfCrashing() throws IOException {
        GgufFile f = GgufFile.open(small());
        MappedTensor t = f.tensor("w");
        f.close();
        assertThrows(IllegalStateException.class, t::toFloats);
    }

    private static void assertMessage(Path p, String part) {
        GgufException e = assertThrows(GgufException.class, () -> GgufFile.open(p).close());
        assertTrue(e.getMessage().contains(part), "expected '" + part + "' in: " + e.getMessage());
    }
}
