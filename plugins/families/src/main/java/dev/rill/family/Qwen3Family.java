package dev.rill.family;

import dev.rill.spi.ModelFile;
import dev.rill.spi.ModelWeights;

import java.util.Set;

/** {@code qwen3}: Qwen 3 — the Qwen 2 block without biases and with per-head RMSNorm of queries and keys. */
public final class Qwen3Family extends TransformerFamily {

    @Override
    public Set<String> architectures() {
        return one("qwen3");
    }

    @Override
    public String description() {
        return "Qwen 3: RMSNorm, SwiGLU, grouped-query attention with per-head q/k RMSNorm, RoPE on halves";
    }

    @Override
    String pairing() {
        return "half";
    }

    @Override
    ModelWeights.Block block(ModelFile f, Hparams h, int l) {
        ModelWeights.Block b = super.block(f, h, l);
        if (b.qNorm() == null || b.kNorm() == null) throw f.error("qwen3 block " + l + " lacks attn_q_norm/attn_k_norm");
        return b;
    }
}
