package dev.rill.backend.tornadovm;

import dev.rill.gguf.GgufFile;
import dev.rill.gguf.GgufValueType;
import dev.rill.gguf.GgufWriter;
import dev.rill.spi.F32Tensor;
import dev.rill.spi.Linear;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.Tensor;
import dev.rill.spi.Tensor.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random-weight GGUF files of each family the loader serves, small enough for a CPU OpenCL device:
 * {@code llama} (untied head, grouped-query attention), {@code qwen2} (q/k/v biases, tied head)
 * and {@code qwen3} (per-head q/k norms, heads wider than {@code nEmb / nHead}, tied head).
 * Matrices are stored in the type asked for, {@code overrides} naming tensors stored otherwise
 * (real Q4_0 files keep some tensors in Q6_K or Q8_0); norms and biases are F32.
 */
final class TinyGgufModels {

    /** The shape of a family's test model. */
    record Shape(int nVocab, int nEmb, int nLayer, int nHead, int nKvHead, int headDim, int nHidden, boolean tied) {
    }

    static final Map<String, Shape> SHAPES = Map.of(
            "llama", new Shape(160, 128, 2, 4, 2, 32, 256, false),
            "qwen2", new Shape(192, 128, 2, 4, 1, 32, 224, true),
            "qwen3", new Shape(176, 128, 2, 4, 2, 48, 192, true));

    private TinyGgufModels() {
    }

    static Path write(String arch, DType type, Map<String, DType> overrides, Path file, long seed) throws IOException {
        Shape s = SHAPES.get(arch);
        String p = arch + ".";
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", arch)
                .putString("general.name", "tiny " + arch + " " + type)
                .putUInt32(p + "context_length", 256)
                .putUInt32(p + "embedding_length", s.nEmb())
                .putUInt32(p + "block_count", s.nLayer())
                .putUInt32(p + "feed_forward_length", s.nHidden())
                .putUInt32(p + "attention.head_count", s.nHead())
                .putUInt32(p + "attention.head_count_kv", s.nKvHead())
                .putUInt32(p + "attention.key_length", s.headDim())
                .putUInt32(p + "attention.value_length", s.headDim())
                .putFloat32(p + "attention.layer_norm_rms_epsilon", 1e-6f)
                .putFloat32(p + "rope.freq_base", arch.equals("llama") ? 10000f : 1000000f)
                .putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", "qwen2");
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < s.nVocab() - 2; i++) tokens.add("t" + i);
        tokens.add("<|bos|>");
        tokens.add("<|eos|>");
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens);
        w.putArray("tokenizer.ggml.merges", GgufValueType.STRING, List.of());
        w.putUInt32("tokenizer.ggml.bos_token_id", s.nVocab() - 2);
        w.putUInt32("tokenizer.ggml.eos_token_id", s.nVocab() - 1);

        SplittableRandom r = new SplittableRandom(seed);
        int C = s.nEmb(), q = s.nHead() * s.headDim(), kv = s.nKvHead() * s.headDim();
        matrix(w, "token_embd.weight", type, overrides, s.nVocab(), C, 1f, r.split());
        vector(w, "output_norm.weight", C, 1f, 0.2f, r.split());
        if (!s.tied()) matrix(w, "output.weight", type, overrides, s.nVocab(), C, 1f / (float) Math.sqrt(C), r.split());
        for (int l = 0; l < s.nLayer(); l++) {
            String b = "blk." + l + ".";
            vector(w, b + "attn_norm.weight", C, 1f, 0.2f, r.split());
            matrix(w, b + "attn_q.weight", type, overrides, q, C, 1f / (float) Math.sqrt(C), r.split());
            matrix(w, b + "attn_k.weight", type, overrides, kv, C, 1f / (float) Math.sqrt(C), r.split());
            matrix(w, b + "attn_v.weight", type, overrides, kv, C, 1f / (float) Math.sqrt(C), r.split());
            if (arch.equals("qwen2")) {
                vector(w, b + "attn_q.bias", q, 0f, 0.5f, r.split());
                vector(w, b + "attn_k.bias", kv, 0f, 0.5f, r.split());
                vector(w, b + "attn_v.bias", kv, 0f, 0.5f, r.split());
            }
            if (arch.equals("qwen3")) {
                vector(w, b + "attn_q_norm.weight", s.headDim(), 1f, 0.2f, r.split());
                vector(w, b + "attn_k_norm.weight", s.headDim(), 1f, 0.2f, r.split());
            }
            matrix(w, b + "attn_output.weight", type, overrides, C, q, 1f / (float) Math.sqrt(q), r.split());
            vector(w, b + "ffn_norm.weight", C, 1f, 0.2f, r.split());
            matrix(w, b + "ffn_gate.weight", type, overrides, s.nHidden(), C, 1f / (float) Math.sqrt(C), r.split());
            matrix(w, b + "ffn_up.weight", type, overrides, s.nHidden(), C, 1f / (float) Math.sqrt(C), r.split());
            matrix(w, b + "ffn_down.weight", type, overrides, C, s.nHidden(), 1f / (float) Math.sqrt(s.nHidden()), r.split());
        }
        w.write(file);
        return file;
    }

    /**
     * The GGUF file {@code source} with every matrix re-encoded as {@code type} (vectors, i.e. norms
     * and biases, stay F32), written to {@code file}: the same model stored as another format.
     */
    static Path reencode(Path source, DType type, Path file) throws IOException {
        try (GgufFile f = GgufFile.open(source)) {
            GgufWriter w = new GgufWriter();
            f.metadata().forEach((key, value) -> w.put(key, f.metadataType(key), value));
            for (GgufFile.TensorInfo info : f.tensors().values()) {
                MappedTensor t = f.tensor(info.name());
                float[] values = t.toFloats();
                if (info.dims().length == 2) w.addTensor(info.name(), type, t.rows(), t.cols(), values);
                else w.addTensor(info.name(), DType.F32, 1, values.length, values);
            }
            w.write(file);
        }
        return file;
    }

    /**
     * The same model with every weight decoded to float32 on the heap: the exact meaning of the
     * stored blocks, as a reference for what the device computes from them.
     */
    static ModelWeights decoded(ModelWeights w) {
        List<ModelWeights.Block> blocks = new ArrayList<>();
        for (ModelWeights.Block b : w.blocks()) {
            blocks.add(new ModelWeights.Block(b.attnNorm(), decoded(b.q()), decoded(b.k()), decoded(b.v()), decoded(b.o()),
                    b.qNorm(), b.kNorm(), b.mlpNorm(), decoded(b.up()), decoded(b.gate()), decoded(b.down()),
                    b.postAttnNorm(), b.postMlpNorm(), b.slidingWindow(), b.positional()));
        }
        return new ModelWeights(w.arch(), w.positional(), decoded(w.tokenEmbedding()), w.positionalWeights(), blocks, w.finalNorm(),
                decoded(w.output()));
    }

    private static Linear decoded(Linear l) {
        return l == null ? null : new Linear(decoded(l.weight()), l.bias(), l.layout());
    }

    private static Tensor decoded(Tensor t) {
        return t.type() == DType.F32 ? t : F32Tensor.of(t.toFloats(), 0, t.rows(), t.cols());
    }

    private static void matrix(GgufWriter w, String name, DType type, Map<String, DType> overrides, int rows, int cols, float std,
                               SplittableRandom r) {
        w.addTensor(name, overrides.getOrDefault(name, type), rows, cols, () -> gaussian(rows * cols, 0f, std, r));
    }

    private static void vector(GgufWriter w, String name, int n, float mean, float std, SplittableRandom r) {
        w.addTensor(name, DType.F32, 1, n, () -> gaussian(n, mean, std, r));
    }

    private static float[] gaussian(int n, float mean, float std, SplittableRandom r) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (mean + std * r.nextGaussian());
        return x;
    }
}
