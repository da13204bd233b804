package dev.rill.model;

import dev.rill.gguf.GgufValueType;
import dev.rill.gguf.GgufWriter;
import dev.rill.spi.Tensor.DType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/** Writes random-weight Llama-family GGUF models of a given shape and weight type, for tests. */
final class TinyGguf {

    final String arch;
    final int nVocab, nEmb, nLayer, nHead, nKvHead, nHidden, headDim;

    TinyGguf(String arch, int nVocab, int nEmb, int nLayer, int nHead, int nKvHead, int nHidden, int headDim) {
        this.arch = arch;
        this.nVocab = nVocab;
        this.nEmb = nEmb;
        this.nLayer = nLayer;
        this.nHead = nHead;
        this.nKvHead = nKvHead;
        this.nHidden = nHidden;
        this.headDim = headDim;
    }

    /** The metadata of the model and a tokenizer of single characters plus BOS/EOS. */
    GgufWriter metadata() {
        String p = arch + ".";
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", arch)
                .putString("general.name", "tiny " + arch)
                .putUInt32(p + "context_length", 512)
                .putUInt32(p + "embedding_length", nEmb)
                .putUInt32(p + "block_count", nLayer)
                .putUInt32(p + "feed_forward_length", nHidden)
                .putUInt32(p + "attention.head_count", nHead)
                .putUInt32(p + "attention.head_count_kv", nKvHead)
                .putUInt32(p + "attention.key_length", headDim)
                .putUInt32(p + "attention.value_length", headDim)
                .putFloat32(p + "attention.layer_norm_rms_epsilon", 1e-5f)
                .putFloat32(p + "rope.freq_base", 10000f)
                .putString("tokenizer.ggml.model", "gpt2")
                .putString("tokenizer.ggml.pre", "qwen2");
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int i = 0; i < nVocab - 2; i++) {
            tokens.add(String.valueOf((char) ('!' + (i % 90))) + (i >= 90 ? String.valueOf(i) : ""));
            types.add(1);
        }
        tokens.add("<|bos|>");
        tokens.add("<|eos|>");
        types.add(3);
        types.add(3);
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens);
        w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types);
        w.putArray("tokenizer.ggml.merges", GgufValueType.STRING, List.of());
        w.putUInt32("tokenizer.ggml.bos_token_id", nVocab - 2);
        w.putUInt32("tokenizer.ggml.eos_token_id", nVocab - 1);
        return w;
    }

    /** Random weights (seeded), matrices stored as {@code type}, norms as F32. */
    Path write(Path file, DType type, long seed) throws IOException {
        return write(file, type, seed, w -> w);
    }

    /** As {@link #write(Path, DType, long)}, with the metadata changed by {@code tweak} first (for tests of bad files). */
    Path write(Path file, DType type, long seed, java.util.function.UnaryOperator<GgufWriter> tweak) throws IOException {
        GgufWriter w = tweak.apply(metadata());
        SplittableRandom r = new SplittableRandom(seed);
        int q = nHead * headDim, kv = nKvHead * headDim;
        matrix(w, "token_embd.weight", type, nVocab, nEmb, 1f, r.split());
        vector(w, "output_norm.weight", nEmb, r.split());
        matrix(w, "output.weight", type, nVocab, nEmb, 1f / (float) Math.sqrt(nEmb), r.split());
        for (int l = 0; l < nLayer; l++) {
            String b = "blk." + l + ".";
            vector(w, b + "attn_norm.weight", nEmb, r.split());
            matrix(w, b + "attn_q.weight", type, q, nEmb, 1f / (float) Math.sqrt(nEmb), r.split());
            matrix(w, b + "attn_k.weight", type, kv, nEmb, 1f / (float) Math.sqrt(nEmb), r.split());
            matrix(w, b + "attn_v.weight", type, kv, nEmb, 1f / (float) Math.sqrt(nEmb), r.split());
            matrix(w, b + "attn_output.weight", type, nEmb, q, 1f / (float) Math.sqrt(q), r.split());
            if (arch.equals("qwen3")) {
                vector(w, b + "attn_q_norm.weight", headDim, r.split());
                vector(w, b + "attn_k_norm.weight", headDim, r.split());
            }
            vector(w, b + "ffn_norm.weight", nEmb, r.split());
            matrix(w, b + "ffn_gate.weight", type, nHidden, nEmb, 1f / (float) Math.sqrt(nEmb), r.split());
            matrix(w, b + "ffn_up.weight", type, nHidden, nEmb, 1f / (float) Math.sqrt(nEmb), r.split());
            matrix(w, b + "ffn_down.weight", type, nEmb, nHidden, 1f / (float) Math.sqrt(nHidden), r.split());
        }
        w.write(file);
        return file;
    }

    static float[] gaussian(int n, float std, SplittableRandom r) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble(), v = r.nextDouble();
            x[i] = (float) (std * Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v));
        }
        return x;
    }

    private static void matrix(GgufWriter w, String name, DType type, int rows, int cols, float std, SplittableRandom r) {
        w.addTensor(name, type, rows, cols, () -> gaussian(rows * cols, std, r));
    }

    private static void vector(GgufWriter w, String name, int n, SplittableRandom r) {
        w.addTensor(name, DType.F32, 1, n, () -> {
            float[] x = gaussian(n, 0.2f, r);
            for (int i = 0; i < n; i++) x[i] += 1;
            return x;
        });
    }
}
