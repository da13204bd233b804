package dev.rill.model;

import dev.rill.gguf.GgufException;
import dev.rill.gguf.GgufFile;
import dev.rill.gguf.GgufValueType;
import dev.rill.gguf.GgufVocabulary;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.Architecture;
import dev.rill.spi.F32Tensor;
import dev.rill.spi.Linear;
import dev.rill.spi.MappedTensor;
import dev.rill.spi.ModelShape;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.PositionalEncoder;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.Tensor;
import dev.rill.template.ChatTemplate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Llama-family model loaded from a GGUF file: weights (memory-mapped, in their stored types),
 * tokenizer, chat template and what {@code /api/models} shows. Architectures: {@code llama}
 * (Llama 2/3/3.1/3.2, Mistral, SmolLM), {@code qwen2} (biases on q/k/v), {@code qwen3} (per-head
 * q/k RMSNorm). Closing it unmaps the file.
 *
 * @param file       the open file (keeps the mapping alive)
 * @param weights    what a compute backend runs
 * @param vocabulary the tokenizer from the metadata
 * @param template   the chat template
 * @param info       architecture, quantization, context length, parameter count, ...
 */
public record GgufModel(GgufFile file, ModelWeights weights, GgufVocabulary vocabulary, ChatTemplate template, ModelFacts info)
        implements AutoCloseable {

    public static final List<String> ARCHITECTURES = List.of("llama", "qwen2", "qwen3");

    /**
     * Loads {@code path}; {@code maxContext} caps the context (≤ 0: the model's own).
     *
     * @throws IOException   when the file cannot be read
     * @throws GgufException when it is malformed or uses what Rill does not support
     */
    public static GgufModel load(Path path, PluginRegistry registry, int maxContext) throws IOException {
        GgufFile f = GgufFile.open(path);
        try {
            return load(f, registry, maxContext);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    private static GgufModel load(GgufFile f, PluginRegistry registry, int maxContext) {
        String arch = f.getString("general.architecture", null);
        if (arch == null) throw new GgufException(f.path() + " has no general.architecture");
        if (!ARCHITECTURES.contains(arch)) {
            throw new GgufException(f.path() + ": architecture '" + arch + "' is not supported; supported: " + String.join(", ", ARCHITECTURES));
        }
        String p = arch + ".";
        int nEmb = f.getInt(p + "embedding_length", 1);
        int nLayer = f.getInt(p + "block_count", 1);
        int nHidden = f.getInt(p + "feed_forward_length", 1);
        if (f.metadataType(p + "attention.head_count_kv") == GgufValueType.ARRAY) {
            throw new GgufException(f.path() + ": per-layer head counts (" + p + "attention.head_count_kv as an array) are not supported");
        }
        int nHead = f.getInt(p + "attention.head_count", 1);
        int nKvHead = f.getInt(p + "attention.head_count_kv", 1, nHead);
        if (nHead % nKvHead != 0) throw new GgufException(f.path() + ": " + nHead + " query heads are not a multiple of " + nKvHead + " key/value heads");
        int headDim = f.getInt(p + "attention.key_length", 1, nEmb / nHead);
        int valueDim = f.getInt(p + "attention.value_length", 1, headDim);
        if (valueDim != headDim) throw new GgufException(f.path() + ": key length " + headDim + " differs from value length " + valueDim + "; not supported");
        int ropeDim = f.getInt(p + "rope.dimension_count", 1, headDim);
        if (ropeDim != headDim) throw new GgufException(f.path() + ": RoPE over " + ropeDim + " of " + headDim + " head dimensions (partial rotary) is not supported");
        float eps = (float) f.getDouble(p + "attention.layer_norm_rms_epsilon", 1e-5);
        int ctx = f.getInt(p + "context_length", 1);
        int maxCtx = maxContext > 0 ? Math.min(maxContext, ctx) : ctx;

        MappedTensor embd = matrix(f, "token_embd.weight", -1, nEmb);
        int nVocab = embd.rows();
        Architecture a = new Architecture("llama", nVocab, nEmb, nLayer, nHead, nKvHead, headDim, nHidden, ctx, maxCtx,
                Architecture.Norm.RMS_NORM, eps, Architecture.Activation.SWIGLU);

        PositionalEncoding rope = registry.get(PositionalEncoding.class, "rope");
        Map<String, Object> ropeParams = ropeParams(f, arch, headDim);
        PositionalEncoder pe = rope.create(new ModelShape(nEmb, nHead, headDim, ctx, maxCtx), rope.params(ropeParams));

        int qDim = nHead * headDim, kvDim = nKvHead * headDim;
        List<ModelWeights.Block> blocks = new ArrayList<>(nLayer);
        for (int l = 0; l < nLayer; l++) {
            String b = "blk." + l + ".";
            blocks.add(new ModelWeights.Block(
                    norm(f, b + "attn_norm.weight", nEmb),
                    linear(f, b + "attn_q", qDim, nEmb), linear(f, b + "attn_k", kvDim, nEmb), linear(f, b + "attn_v", kvDim, nEmb),
                    linear(f, b + "attn_output", nEmb, qDim),
                    f.info(b + "attn_q_norm.weight") != null ? vector(f, b + "attn_q_norm.weight", headDim) : null,
                    f.info(b + "attn_k_norm.weight") != null ? vector(f, b + "attn_k_norm.weight", headDim) : null,
                    norm(f, b + "ffn_norm.weight", nEmb),
                    linear(f, b + "ffn_up", nHidden, nEmb), linear(f, b + "ffn_gate", nHidden, nEmb), linear(f, b + "ffn_down", nEmb, nHidden)));
            if (arch.equals("qwen3") && (blocks.getLast().qNorm() == null || blocks.getLast().kNorm() == null)) {
                throw new GgufException(f.path() + ": qwen3 block " + l + " lacks attn_q_norm/attn_k_norm");
            }
        }
        // Tied head: no output.weight means the token embedding serves as the LM head.
        Linear output = f.info("output.weight") != null
                ? new Linear(matrix(f, "output.weight", nVocab, nEmb), null, Linear.Layout.OUT_IN)
                : new Linear(embd, null, Linear.Layout.OUT_IN);
        ModelWeights weights = new ModelWeights(a, pe, embd, List.of(), blocks, norm(f, "output_norm.weight", nEmb), output);

        GgufVocabulary vocab = GgufVocabulary.from(f);
        if (vocab.size() > nVocab) throw new GgufException(f.path() + ": the tokenizer has " + vocab.size() + " tokens but the embedding only " + nVocab + " rows");
        ChatTemplate template = ChatTemplate.of(f, vocab);
        ModelFacts info = new ModelFacts(arch, parameters(f), quantization(f), ctx, maxCtx, nLayer, nHead, nKvHead, nEmb, nVocab,
                vocab.tokenizer(), rope.name(), template.name(), f.fileSize());
        return new GgufModel(f, weights, vocab, template, info);
    }

    /**
     * RoPE as llama.cpp runs each architecture: {@code llama} rotates adjacent pairs (its converter
     * permutes Hugging Face's q/k weights to match), Qwen rotates halves (NeoX style). Scaling from
     * {@code rope.scaling.*}, or Llama 3.1's, recovered from the {@code rope_freqs} tensor.
     */
    static Map<String, Object> ropeParams(GgufFile f, String arch, int headDim) {
        String p = arch + ".";
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("base", f.getDouble(p + "rope.freq_base", 10000.0));
        m.put("pairing", arch.equals("llama") ? "adjacent" : "half");
        String type = f.getString(p + "rope.scaling.type", "none");
        double factor = f.getDouble(p + "rope.scaling.factor", 1.0);
        switch (type) {
            case "none" -> {
            }
            case "linear" -> {
                if (factor != 1.0) {
                    m.put("scaling", "linear");
                    m.put("factor", factor);
                }
            }
            default -> throw new GgufException(f.path() + ": RoPE scaling '" + type + "' is not supported; supported: none, linear, llama3 (rope_freqs)");
        }
        if (f.info("rope_freqs.weight") != null) {
            float[] freq = f.tensor("rope_freqs.weight").toFloats();
            if (freq.length != headDim / 2) throw new GgufException(f.path() + ": rope_freqs.weight has " + freq.length + " values, expected " + headDim / 2);
            m.putAll(llama3Scaling(f, freq, (double) m.get("base"), headDim));
        }
        return m;
    }

    /**
     * The Llama 3.1 scaling whose per-frequency divisors are {@code freq}: factor is the largest
     * divisor; the band limits are Meta's (low 1, high 4, original context 8192) unless the
     * metadata says otherwise; the result must reproduce every divisor.
     */
    private static Map<String, Object> llama3Scaling(GgufFile f, float[] freq, double base, int headDim) {
        double factor = 1;
        for (float v : freq) factor = Math.max(factor, v);
        boolean identity = true;
        for (float v : freq) identity &= Math.abs(v - 1) < 1e-6;
        if (identity) return Map.of();
        double low = 1, high = 4;
        int orig = f.getInt("llama.rope.scaling.original_context_length", 1, 8192);
        for (int i = 0; i < freq.length; i++) {
            double theta = Math.pow(base, -2.0 * i / headDim), wavelength = 2 * Math.PI / theta, expected;
            if (wavelength < orig / high) expected = 1;
            else if (wavelength > orig / low) expected = factor;
            else {
                double s = (orig / wavelength - low) / (high - low);
                expected = 1 / ((1 - s) / factor + s);
            }
            if (Math.abs(expected - freq[i]) > 1e-3 * expected) {
                throw new GgufException(f.path() + ": rope_freqs.weight does not follow Llama 3 scaling (value " + i + " is " + freq[i]
                        + ", Llama 3 scaling with factor " + factor + " gives " + expected + "); supported: none, linear, llama3");
            }
        }
        return Map.of("scaling", "llama3", "factor", factor, "low_freq_factor", low, "high_freq_factor", high, "original_context", orig);
    }

    private static GgufFile.TensorInfo require(GgufFile f, String name) {
        GgufFile.TensorInfo t = f.info(name);
        if (t == null) throw new GgufException(f.path() + " has no tensor '" + name + "' (is it a " + f.getString("general.architecture", "?") + " model?)");
        return t;
    }

    /** A matrix of {@code rows × cols} (rows -1: any), in its stored type. */
    private static MappedTensor matrix(GgufFile f, String name, int rows, int cols) {
        GgufFile.TensorInfo t = require(f, name);
        if (t.dims().length != 2 || t.dims()[0] != cols || (rows >= 0 && t.dims()[1] != rows)) {
            throw new GgufException(f.path() + ": tensor '" + name + "' has shape " + t.shape() + ", expected [" + cols + ", " + (rows >= 0 ? rows : "n") + "]");
        }
        return f.tensor(name);
    }

    /** Weight and optional bias of a linear map {@code in → out}. */
    private static Linear linear(GgufFile f, String prefix, int out, int in) {
        Tensor bias = f.info(prefix + ".bias") != null ? vector(f, prefix + ".bias", out) : null;
        return new Linear(matrix(f, prefix + ".weight", out, in), bias, Linear.Layout.OUT_IN);
    }

    /** A small vector (norm weights, biases), copied to the heap as float32. */
    private static F32Tensor vector(GgufFile f, String name, int n) {
        GgufFile.TensorInfo t = require(f, name);
        if (t.elements() != n) throw new GgufException(f.path() + ": tensor '" + name + "' has shape " + t.shape() + ", expected [" + n + "]");
        return F32Tensor.vector(f.tensor(name).toFloats(), 0, n);
    }

    private static ModelWeights.NormWeights norm(GgufFile f, String name, int n) {
        return new ModelWeights.NormWeights(vector(f, name, n), null);
    }

    private static long parameters(GgufFile f) {
        long n = 0;
        for (GgufFile.TensorInfo t : f.tensors().values()) n += t.elements();
        return n;
    }

    /** The type holding most weight elements among matrices (e.g. Q4_0 files keep some tensors in Q6_K). */
    private static String quantization(GgufFile f) {
        Map<String, Long> byType = new LinkedHashMap<>();
        for (GgufFile.TensorInfo t : f.tensors().values()) {
            if (t.dims().length >= 2) byType.merge(t.typeName(), t.elements(), Long::sum);
        }
        return byType.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("F32");
    }

    /**
     * Token ids for a rendered chat prompt: special tokens in the text become their ids, and BOS is
     * put in front when the tokenizer asks for it and the template did not already write it.
     */
    public int[] encodePrompt(String prompt) {
        int[] ids = vocabulary.encode(prompt, true);
        if (vocabulary.addBos() && vocabulary.bos() >= 0 && (ids.length == 0 || ids[0] != vocabulary.bos())) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = vocabulary.bos();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            return withBos;
        }
        return ids;
    }

    @Override
    public void close() {
        file.close();
    }
}
