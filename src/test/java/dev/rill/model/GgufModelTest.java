package dev.rill.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rill.backend.cpu.CpuBackend;
import dev.rill.gguf.GgufException;
import dev.rill.gguf.GgufWriter;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.KvCache;
import dev.rill.spi.Params;
import dev.rill.spi.Tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Whole GGUF models on the CPU backend: logits against Hugging Face transformers for tiny Llama
 * (adjacent RoPE with Llama 3.1 scaling from rope_freqs, GQA), Qwen 2 (q/k/v biases, tied head,
 * half RoPE) and Qwen 3 (q/k norms, head_dim ≠ nEmb/nHead); quantized models against their F32
 * original; clear errors for what is not supported; memory mapping of a file past 2 GB.
 */
class GgufModelTest {

    @TempDir
    Path tmp;
    static final PluginRegistry REGISTRY = PluginRegistry.load();

    private Path resource(String name) throws IOException {
        Path p = tmp.resolve(name);
        try (InputStream in = getClass().getResourceAsStream("/gguf/" + name)) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void logitsMatchTransformersForLlamaQwen2AndQwen3() throws IOException {
        matchTransformers("tiny-logits.json", "llama", "qwen2", "qwen3");
    }

    /**
     * Gemma 2 (GeGLU, embedding scale, post-norms, soft-capped scores and logits, a sliding window
     * of 4 on even layers), Gemma 3 (q/k norms, 5 local layers with RoPE base 10^4 to one global
     * with 10^6) and Phi-3 (fused q/k/v and gate/up): 14 tokens, so the window slides.
     */
    @Test
    void logitsMatchTransformersForGemma2Gemma3AndPhi3() throws IOException {
        matchTransformers("tiny-logits-families.json", "gemma2", "gemma3", "phi3");
    }

    /** The prompt at once and then token by token, against the logits transformers computed (make_reference_*.py). */
    private void matchTransformers(String fixture, String... archs) throws IOException {
        JsonNode ref;
        try (InputStream in = getClass().getResourceAsStream("/gguf/" + fixture)) {
            ref = new ObjectMapper().readTree(in);
        }
        for (String arch : archs) {
            JsonNode c = ref.get(arch);
            int[] tokens = new int[c.get("tokens").size()];
            for (int i = 0; i < tokens.length; i++) tokens[i] = c.get("tokens").get(i).asInt();
            try (GgufModel m = GgufModel.load(resource("tiny-" + arch + ".gguf"), REGISTRY, 0);
                 ForwardPass fp = new CpuBackend().prepare(m.weights(), Params.EMPTY)) {
                assertEquals(arch, m.info().architecture());
                int V = m.weights().arch().nVocab();
                // Prompt: all tokens at once; logits of the last.
                float[] logits = new float[V];
                KvCache cache = fp.newCache(64);
                fp.forward(cache, tokens, 0, tokens.length, logits);
                assertClose(c.get("logits").get(tokens.length - 1), logits, arch + " prompt");
                // Decode: one token at a time, every position.
                KvCache inc = fp.newCache(64);
                for (int t = 0; t < tokens.length; t++) {
                    fp.forward(inc, tokens, t, t + 1, logits);
                    assertClose(c.get("logits").get(t), logits, arch + " position " + t);
                }
            }
        }
    }

    /** Within 1e-3 of the largest logit: the cpu backend caches keys and values as halves (11 significant bits), transformers as floats. */
    private static void assertClose(JsonNode expected, float[] got, String what) {
        double scale = 0;
        for (JsonNode v : expected) scale = Math.max(scale, Math.abs(v.asDouble()));
        for (int i = 0; i < got.length; i++) {
            assertEquals(expected.get(i).asDouble(), got[i], 1e-3 * scale + 1e-5, what + " logit " + i);
        }
    }

    /**
     * Relative RMS error of a quantized model's logits against the same weights in F32, over a
     * prompt and decode steps (random Gaussian weights, 2 layers, width 256, embedding and head
     * quantized too). Each matrix adds rounding noise of about one step over √12 of its block
     * range, so the error grows ×2 per bit removed: measured F16 0.06%, BF16 0.4%, Q8_0 1.3%,
     * Q6_K 4.7%, Q5_K 9.8%, Q4_K 19%, Q4_0 20%. Bounds, about 1.5× those: F16 0.1%, BF16 0.6%,
     * Q8_0 2%, Q6_K 7%, Q5_K 15%, Q4_K 30%, Q4_0 30%. (Rill's K-quant quantizer is a plain min/max
     * fit, which is why its Q4_K is no better than Q4_0 here; llama.cpp's searches for scales.)
     */
    @Test
    void quantizedModelsStayCloseToTheirF32Original() throws IOException {
        TinyGguf shape = new TinyGguf("llama", 300, 256, 2, 4, 2, 512, 64);
        Map<DType, Double> bound = Map.of(DType.F16, 0.001, DType.BF16, 0.006, DType.Q8_0, 0.02, DType.Q6_K, 0.07,
                DType.Q5_K, 0.15, DType.Q4_K, 0.30, DType.Q4_0, 0.30);
        int[] tokens = {298, 5, 77, 140, 3, 250, 9, 9, 31};
        float[][] base = run(shape.write(tmp.resolve("f32.gguf"), DType.F32, 42), tokens);
        for (DType t : bound.keySet()) {
            float[][] q = run(shape.write(tmp.resolve(t + ".gguf"), t, 42), tokens);
            double err = 0, norm = 0;
            for (int s = 0; s < base.length; s++) {
                for (int i = 0; i < base[s].length; i++) {
                    err += Math.pow(q[s][i] - base[s][i], 2);
                    norm += Math.pow(base[s][i], 2);
                }
            }
            double rel = Math.sqrt(err / norm);
            assertTrue(rel < bound.get(t), t + ": relative logit error " + rel + " over bound " + bound.get(t));
            assertTrue(t == DType.F16 || rel > 1e-5, t + ": suspiciously exact (" + rel + ")");
        }
    }

    /** Logits after the prompt, then after each of three decode steps. */
    private float[][] run(Path file, int[] tokens) throws IOException {
        try (GgufModel m = GgufModel.load(file, REGISTRY, 128); ForwardPass fp = new CpuBackend().prepare(m.weights(), Params.EMPTY)) {
            int V = m.weights().arch().nVocab();
            float[][] out = new float[4][V];
            KvCache c = fp.newCache(32);
            fp.forward(c, tokens, 0, tokens.length - 3, out[0]);
            for (int i = 0; i < 3; i++) fp.forward(c, tokens, tokens.length - 3 + i, tokens.length - 2 + i, out[i + 1]);
            return out;
        }
    }

    @Test
    void unsupportedArchitectureAndMissingTensorsAreNamed() throws IOException {
        Path p = tmp.resolve("mamba.gguf");
        new GgufWriter().putString("general.architecture", "mamba").write(p);
        GgufException e = assertThrows(GgufException.class, () -> GgufModel.load(p, REGISTRY, 0));
        assertTrue(e.getMessage().contains("'mamba' is not supported; supported: gemma2, gemma3, llama, phi3, qwen2, qwen3"), e.getMessage());
        // A known family names what its file lacks.
        Path gemma = tmp.resolve("gemma.gguf");
        new GgufWriter().putString("general.architecture", "gemma3").write(gemma);
        e = assertThrows(GgufException.class, () -> GgufModel.load(gemma, REGISTRY, 0));
        assertTrue(e.getMessage().contains("has no metadata 'gemma3.embedding_length'"), e.getMessage());

        TinyGguf shape = new TinyGguf("qwen3", 40, 64, 1, 2, 2, 64, 32);
        Path noNorm = tmp.resolve("qwen3.gguf");
        // A qwen3 file written without its q/k norms.
        GgufWriter w = new TinyGguf("llama", 40, 64, 1, 2, 2, 64, 32).metadata();
        w.putString("general.architecture", "qwen3");
        for (String k : new String[]{"context_length", "embedding_length", "block_count", "feed_forward_length", "attention.head_count"}) {
            w.putUInt32("qwen3." + k, k.equals("context_length") ? 64 : k.equals("embedding_length") ? 64 : k.equals("block_count") ? 1 : k.equals("feed_forward_length") ? 64 : 2);
        }
        w.write(noNorm);
        e = assertThrows(GgufException.class, () -> GgufModel.load(noNorm, REGISTRY, 0));
        assertTrue(e.getMessage().contains("no tensor 'token_embd.weight'"), e.getMessage());
        assertNotNull(shape);
    }

    @Test
    void q4_1WeightsAreRefusedWithTheSupportedTypes() throws IOException {
        TinyGguf shape = new TinyGguf("llama", 40, 64, 1, 2, 2, 64, 32);
        Path p = shape.write(tmp.resolve("ok.gguf"), DType.F32, 1);
        // Patch the type id of token_embd (first tensor info) to Q4_1 (3): bytes still fit (F32 is larger).
        byte[] b = Files.readAllBytes(p);
        byte[] name = "token_embd.weight".getBytes();
        int at = indexOf(b, name) + name.length + 4 + 16; // n_dims, two dims
        assertEquals(0, b[at]);
        b[at] = 3;
        Files.write(p, b);
        GgufException e = assertThrows(GgufException.class, () -> GgufModel.load(p, REGISTRY, 0));
        assertTrue(e.getMessage().contains("Q4_1") && e.getMessage().contains("supported: F32, F16, Q4_0, Q8_0"), e.getMessage());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }

    /**
     * A 2.3 GB model (a sparse file: its embedding is a hole of zeros) loads and runs; the weights
     * are mapped, not read, so the process's resident memory grows by a small part of the file.
     */
    @Test
    void aFilePast2GBIsMappedNotRead() throws IOException {
        int nVocab = 1_100_000, nEmb = 2048;
        TinyGguf shape = new TinyGguf("llama", 1000, nEmb, 1, 16, 4, 256, 128);
        GgufWriter w = shape.metadata();
        long embBytes = (long) nVocab * nEmb * 34 / 32;
        w.addRaw("token_embd.weight", new long[]{nEmb, nVocab}, 8, embBytes, () -> { throw new AssertionError("sparse"); });
        w.addTensor("output_norm.weight", DType.F32, 1, nEmb, ones(nEmb));
        int q = 16 * 128, kv = 4 * 128;
        String b = "blk.0.";
        String[] names = {"attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate", "ffn_up", "ffn_down"};
        int[][] dims = {{1, nEmb}, {q, nEmb}, {kv, nEmb}, {kv, nEmb}, {nEmb, q}, {1, nEmb}, {256, nEmb}, {256, nEmb}, {nEmb, 256}};
        for (int i = 0; i < names.length; i++) {
            int rows = dims[i][0], cols = dims[i][1];
            w.addTensor(b + names[i] + ".weight", rows == 1 ? DType.F32 : DType.Q8_0, rows, cols, rows == 1 ? ones(cols) : new float[rows * cols]);
        }
        Path p = tmp.resolve("big.gguf");
        byte[] header = w.header();
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.write(header);
            // Every tensor after the (hole) embedding, at its offset.
            GgufWriter only = w; // offsets are those of the full writer
            long total = header.length + only.offset(11);
            f.setLength(total);
            for (int i = 1; i < 11; i++) {
                f.seek(header.length + only.offset(i));
                int rows = i == 1 ? 1 : dims[i - 2][0], cols = i == 1 ? nEmb : dims[i - 2][1];
                DType t = rows == 1 ? DType.F32 : DType.Q8_0;
                f.write(dev.rill.spi.BlockFormats.quantize(t, rows == 1 ? ones(cols) : new float[rows * cols], 0, rows * cols));
            }
        }
        assertTrue(Files.size(p) > (1L << 31), "file of " + Files.size(p));
        long before = rss();
        try (GgufModel m = GgufModel.load(p, REGISTRY, 256)) {
            long grown = rss() - before;
            assertTrue(grown < Files.size(p) / 20, "resident memory grew by " + grown + " bytes for a " + Files.size(p) + "-byte file");
            assertEquals(Files.size(p), m.info().fileBytes());
            assertEquals(nVocab, m.weights().arch().nVocab());
            // The last embedding row lies past 2 GB into the mapping.
            var emb = (dev.rill.spi.MappedTensor) m.weights().tokenEmbedding();
            assertTrue(emb.rowOffset(nVocab - 1) > (1L << 31));
            float[] row = new float[nEmb];
            java.util.Arrays.fill(row, 7f);
            emb.dequantizeRow(nVocab - 1, row, 0);
            assertArrayEquals(new float[nEmb], row);
        }
    }

    private static float[] ones(int n) {
        float[] x = new float[n];
        java.util.Arrays.fill(x, 1f);
        return x;
    }

    /** Resident set size of this process, from /proc (Linux). */
    private static long rss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
        throw new IllegalStateException("no VmRSS");
    }
}
