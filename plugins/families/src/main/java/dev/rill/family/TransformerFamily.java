package dev.rill.family;

import dev.rill.spi.Architecture;
import dev.rill.spi.Linear;
import dev.rill.spi.ModelFamily;
import dev.rill.spi.ModelFile;
import dev.rill.spi.ModelWeights;
import dev.rill.spi.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the GGUF decoder families share, in llama.cpp's names: the hyper-parameters under
 * {@code <arch>.}, the token embedding, {@code blk.N.*} blocks, the final norm and the head (the
 * embedding when {@code output.weight} is absent), RoPE from {@code <arch>.rope.*}. A family is a
 * subclass that says what differs: RoPE pairing, activation, per-block extras.
 */
abstract class TransformerFamily implements ModelFamily {

    /** The sizes under {@code <arch>.}; {@code nVocab} from the embedding's rows. */
    record Hparams(String arch, int nEmb, int nLayer, int nHidden, int nHead, int nKvHead, int headDim, float eps, int ctx,
                   int maxCtx, int nVocab) {
        int qDim() {
            return nHead * headDim;
        }

        int kvDim() {
            return nKvHead * headDim;
        }
    }

    @Override
    public String name() {
        return architectures().iterator().next();
    }

    /** {@code adjacent} (Meta's pairs) or {@code half} (NeoX / Hugging Face rotate_half), as llama.cpp runs the family. */
    abstract String pairing();

    Architecture.Activation activation() {
        return Architecture.Activation.SWIGLU;
    }

    /** The architecture; families override to set scales and soft-caps. */
    Architecture architecture(ModelFile f, Hparams h) {
        return new Architecture(h.nVocab(), h.nEmb(), h.nLayer(), h.nHead(), h.nKvHead(), h.headDim(), h.nHidden(), h.ctx(), h.maxCtx(),
                Architecture.Norm.RMS_NORM, h.eps(), activation());
    }

    /** Block {@code l}; the default reads separate q/k/v and gate/up projections and optional q/k norms. */
    ModelWeights.Block block(ModelFile f, Hparams h, int l) {
        String b = "blk." + l + ".";
        return new ModelWeights.Block(norm(f, b + "attn_norm.weight", h.nEmb()),
                linear(f, b + "attn_q", h.qDim(), h.nEmb()), linear(f, b + "attn_k", h.kvDim(), h.nEmb()),
                linear(f, b + "attn_v", h.kvDim(), h.nEmb()), linear(f, b + "attn_output", h.nEmb(), h.qDim()),
                optionalVector(f, b + "attn_q_norm.weight", h.headDim()), optionalVector(f, b + "attn_k_norm.weight", h.headDim()),
                norm(f, b + "ffn_norm.weight", h.nEmb()),
                linear(f, b + "ffn_up", h.nHidden(), h.nEmb()), linear(f, b + "ffn_gate", h.nHidden(), h.nEmb()),
                linear(f, b + "ffn_down", h.nEmb(), h.nHidden()));
    }

    /** Block {@code l}'s own positional encoding, or {@code null} for the model's. */
    Positional blockPositional(ModelFile f, Hparams h, int l) {
        return null;
    }

    @Override
    public Description describe(ModelFile f, int maxContext) {
        Hparams h = hparams(f, maxContext);
        Tensor embd = matrix(f, "token_embd.weight", -1, h.nEmb());
        h = new Hparams(h.arch(), h.nEmb(), h.nLayer(), h.nHidden(), h.nHead(), h.nKvHead(), h.headDim(), h.eps(), h.ctx(), h.maxCtx(), embd.rows());
        List<ModelWeights.Block> blocks = new ArrayList<>(h.nLayer());
        List<Positional> own = new ArrayList<>(h.nLayer());
        for (int l = 0; l < h.nLayer(); l++) {
            blocks.add(block(f, h, l));
            own.add(blockPositional(f, h, l));
        }
        // Tied head: no output.weight means the token embedding serves as the LM head.
        Linear output = f.hasTensor("output.weight") ? new Linear(matrix(f, "output.weight", h.nVocab(), h.nEmb()), null, Linear.Layout.OUT_IN)
                : new Linear(embd, null, Linear.Layout.OUT_IN);
        return new Description(architecture(f, h), new Positional("rope", ropeParams(f, h, f.getDouble(h.arch() + ".rope.freq_base", 10000.0))),
                own, embd, blocks, norm(f, "output_norm.weight", h.nEmb()), output);
    }

    Hparams hparams(ModelFile f, int maxContext) {
        String arch = f.getString("general.architecture");
        String p = arch + ".";
        int nEmb = f.getInt(p + "embedding_length", 1);
        int nLayer = f.getInt(p + "block_count", 1);
        int nHidden = f.getInt(p + "feed_forward_length", 1);
        if (f.isArray(p + "attention.head_count_kv") || f.isArray(p + "feed_forward_length")) {
            throw f.error("per-layer head counts or widths (" + p + "attention.head_count_kv / feed_forward_length as arrays) are not supported");
        }
        int nHead = f.getInt(p + "attention.head_count", 1);
        int nKvHead = f.getInt(p + "attention.head_count_kv", 1, nHead);
        if (nHead % nKvHead != 0) throw f.error(nHead + " query heads are not a multiple of " + nKvHead + " key/value heads");
        int headDim = f.getInt(p + "attention.key_length", 1, nEmb / nHead);
        int valueDim = f.getInt(p + "attention.value_length", 1, headDim);
        if (valueDim != headDim) throw f.error("key length " + headDim + " differs from value length " + valueDim + "; not supported");
        int ropeDim = f.getInt(p + "rope.dimension_count", 1, headDim);
        if (ropeDim != headDim) throw f.error("RoPE over " + ropeDim + " of " + headDim + " head dimensions (partial rotary) is not supported");
        float eps = (float) f.getDouble(p + "attention.layer_norm_rms_epsilon", 1e-5);
        int ctx = f.getInt(p + "context_length", 1);
        return new Hparams(arch, nEmb, nLayer, nHidden, nHead, nKvHead, headDim, eps, ctx, maxContext > 0 ? Math.min(maxContext, ctx) : ctx, -1);
    }

    /**
     * RoPE as llama.cpp runs the family, with base {@code base}: scaling from
     * {@code rope.scaling.*}, or Llama 3.1's, recovered from the {@code rope_freqs} tensor.
     */
    Map<String, Object> ropeParams(ModelFile f, Hparams h, double base) {
        String p = h.arch() + ".";
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("base", base);
        m.put("pairing", pairing());
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
            default -> throw f.error("RoPE scaling '" + type + "' is not supported; supported: none, linear, llama3 (rope_freqs)");
        }
        if (f.hasTensor("rope_freqs.weight")) {
            float[] freq = f.tensor("rope_freqs.weight").toFloats();
            if (freq.length != h.headDim() / 2) throw f.error("rope_freqs.weight has " + freq.length + " values, expected " + h.headDim() / 2);
            m.putAll(llama3Scaling(f, h, freq, base));
        }
        return m;
    }

    /**
     * The Llama 3.1 scaling whose per-frequency divisors are {@code freq}: factor is the largest
     * divisor; the band limits are Meta's (low 1, high 4, original context 8192) unless the
     * metadata says otherwise; the result must reproduce every divisor.
     */
    private static Map<String, Object> llama3Scaling(ModelFile f, Hparams h, float[] freq, double base) {
        double factor = 1;
        for (float v : freq) factor = Math.max(factor, v);
        boolean identity = true;
        for (float v : freq) identity &= Math.abs(v - 1) < 1e-6;
        if (identity) return Map.of();
        double low = 1, high = 4;
        int orig = f.getInt(h.arch() + ".rope.scaling.original_context_length", 1, 8192);
        for (int i = 0; i < freq.length; i++) {
            double theta = Math.pow(base, -2.0 * i / h.headDim()), wavelength = 2 * Math.PI / theta, expected;
            if (wavelength < orig / high) expected = 1;
            else if (wavelength > orig / low) expected = factor;
            else {
                double s = (orig / wavelength - low) / (high - low);
                expected = 1 / ((1 - s) / factor + s);
            }
            if (Math.abs(expected - freq[i]) > 1e-3 * expected) {
                throw f.error("rope_freqs.weight does not follow Llama 3 scaling (value " + i + " is " + freq[i]
                        + ", Llama 3 scaling with factor " + factor + " gives " + expected + "); supported: none, linear, llama3");
            }
        }
        return Map.of("scaling", "llama3", "factor", factor, "low_freq_factor", low, "high_freq_factor", high, "original_context", orig);
    }

    // ---------------------------------------------------------------- tensors

    static void require(ModelFile f, String name) {
        if (!f.hasTensor(name)) throw f.error("no tensor '" + name + "' (is it a " + f.getString("general.architecture", "?") + " model?)");
    }

    /** A matrix of {@code rows × cols} (rows -1: any), in its stored type. */
    static Tensor matrix(ModelFile f, String name, int rows, int cols) {
        require(f, name);
        long[] d = f.tensorDims(name);
        if (d.length != 2 || d[0] != cols || (rows >= 0 && d[1] != rows)) {
            throw f.error("tensor '" + name + "' has shape " + java.util.Arrays.toString(d) + ", expected [" + cols + ", " + (rows >= 0 ? rows : "n") + "]");
        }
        return f.tensor(name);
    }

    /** Weight and optional bias of a linear map {@code in → out}. */
    static Linear linear(ModelFile f, String prefix, int out, int in) {
        Tensor bias = f.hasTensor(prefix + ".bias") ? vector(f, prefix + ".bias", out) : null;
        return new Linear(matrix(f, prefix + ".weight", out, in), bias, Linear.Layout.OUT_IN);
    }

    /** Rows {@code [from, to)} of a fused projection, as a linear map of its own (bias rows alike). */
    static Linear part(ModelFile f, String prefix, int rows, int in, int from, int to) {
        Tensor w = matrix(f, prefix + ".weight", rows, in).rows(from, to);
        Tensor bias = null;
        if (f.hasTensor(prefix + ".bias")) {
            bias = dev.rill.spi.F32Tensor.vector(java.util.Arrays.copyOfRange(vector(f, prefix + ".bias", rows).toFloats(), from, to), 0, to - from);
        }
        return new Linear(w, bias, Linear.Layout.OUT_IN);
    }

    /** A small vector (norm weights, biases), decoded to float32 on the heap. */
    static Tensor vector(ModelFile f, String name, int n) {
        require(f, name);
        long elements = 1;
        for (long d : f.tensorDims(name)) elements *= d;
        if (elements != n) throw f.error("tensor '" + name + "' has " + elements + " values, expected " + n);
        return dev.rill.spi.F32Tensor.vector(f.tensor(name).toFloats(), 0, n);
    }

    static Tensor optionalVector(ModelFile f, String name, int n) {
        return f.hasTensor(name) ? vector(f, name, n) : null;
    }

    static ModelWeights.NormWeights norm(ModelFile f, String name, int n) {
        return new ModelWeights.NormWeights(vector(f, name, n), null);
    }

    static Set<String> one(String arch) {
        return Set.of(arch);
    }
}
