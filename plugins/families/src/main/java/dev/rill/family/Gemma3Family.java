package dev.rill.family;

import dev.rill.spi.Architecture;
import dev.rill.spi.ModelFile;
import dev.rill.spi.ModelWeights;

import java.util.Set;

/**
 * {@code gemma3}: Gemma 3 (text) — Gemma 2's block without soft-capping, with per-head RMSNorm of
 * queries and keys; five sliding-window (local) layers to one global one, local layers rotating
 * with RoPE base 10000, global ones with {@code rope.freq_base} (and its scaling), as llama.cpp runs it.
 */
public final class Gemma3Family extends Gemma2Family {

    /** RoPE base of the local layers (Gemma 3's rope_local_base_freq; llama.cpp fixes it too). */
    static final double LOCAL_ROPE_BASE = 10000.0;

    @Override
    public Set<String> architectures() {
        return one("gemma3");
    }

    @Override
    public String description() {
        return "Gemma 3 (text): GeGLU, extra norms, q/k norms, 5 local (sliding-window, RoPE base 10000) layers to 1 global";
    }

    @Override
    Architecture architecture(ModelFile f, Hparams h) {
        return new Architecture(h.nVocab(), h.nEmb(), h.nLayer(), h.nHead(), h.nKvHead(), h.headDim(), h.nHidden(), h.ctx(), h.maxCtx(),
                Architecture.Norm.RMS_NORM, h.eps(), activation(), (float) Math.sqrt(h.nEmb()), (float) (1 / Math.sqrt(h.headDim())), 0f, 0f);
    }

    @Override
    boolean sliding(int l) {
        return (l + 1) % 6 != 0;
    }

    @Override
    ModelWeights.Block block(ModelFile f, Hparams h, int l) {
        ModelWeights.Block b = super.block(f, h, l);
        if (b.qNorm() == null || b.kNorm() == null) throw f.error("gemma3 block " + l + " lacks attn_q_norm/attn_k_norm");
        return b;
    }

    @Override
    Positional blockPositional(ModelFile f, Hparams h, int l) {
        if (!sliding(l)) return null;
        java.util.Map<String, Object> local = new java.util.LinkedHashMap<>();
        local.put("base", LOCAL_ROPE_BASE);
        local.put("pairing", pairing());
        return new Positional("rope", local);
    }
}
