package dev.rill.family;

import dev.rill.spi.ModelFile;
import dev.rill.spi.ModelWeights;

import java.util.Set;

/**
 * {@code phi3}: Phi-3 / Phi-3.5 mini — the Llama block stored with fused projections: q, k and v in
 * one {@code attn_qkv} matrix and SwiGLU's gate and up in one {@code ffn_up} (gate first), split
 * here into views of the same bytes; RoPE on halves. A sliding window in the metadata applies to
 * every layer. LongRoPE ({@code rope_factors_long/short}, the 128k variants) is not supported.
 */
public final class Phi3Family extends TransformerFamily {

    @Override
    public Set<String> architectures() {
        return one("phi3");
    }

    @Override
    public String description() {
        return "Phi-3/3.5 mini: RMSNorm, SwiGLU from a fused gate/up matrix, attention from a fused q/k/v matrix, RoPE on halves";
    }

    @Override
    String pairing() {
        return "half";
    }

    @Override
    ModelWeights.Block block(ModelFile f, Hparams h, int l) {
        if (f.hasTensor("rope_factors_long.weight") || f.hasTensor("rope_factors_short.weight")) {
            throw f.error("LongRoPE (rope_factors_long/short, Phi-3 128k) is not supported; the 4k variants are");
        }
        String b = "blk." + l + ".";
        int C = h.nEmb(), q = h.qDim(), kv = h.kvDim(), H = h.nHidden(), qkv = q + 2 * kv;
        int window = f.getInt(h.arch() + ".attention.sliding_window", 0, 0);
        // gguf-py lists separate attn_q/k/v for phi3 too: read them when the fused matrix is absent.
        boolean fused = f.hasTensor(b + "attn_qkv.weight");
        return new ModelWeights.Block(norm(f, b + "attn_norm.weight", C),
                fused ? part(f, b + "attn_qkv", qkv, C, 0, q) : linear(f, b + "attn_q", q, C),
                fused ? part(f, b + "attn_qkv", qkv, C, q, q + kv) : linear(f, b + "attn_k", kv, C),
                fused ? part(f, b + "attn_qkv", qkv, C, q + kv, qkv) : linear(f, b + "attn_v", kv, C),
                linear(f, b + "attn_output", C, q), null, null, norm(f, b + "ffn_norm.weight", C),
                part(f, b + "ffn_up", 2 * H, C, H, 2 * H), part(f, b + "ffn_up", 2 * H, C, 0, H), linear(f, b + "ffn_down", C, H),
                null, null, window >= h.ctx() ? 0 : window, null);
    }
}
