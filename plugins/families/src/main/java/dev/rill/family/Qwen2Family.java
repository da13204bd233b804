package dev.rill.family;

import java.util.Set;

/** {@code qwen2}: Qwen 2/2.5 — the Llama block with q/k/v biases and RoPE on halves (NeoX). */
public final class Qwen2Family extends TransformerFamily {

    @Override
    public Set<String> architectures() {
        return one("qwen2");
    }

    @Override
    public String description() {
        return "Qwen 2/2.5: RMSNorm, SwiGLU, grouped-query attention with q/k/v biases, RoPE on halves";
    }

    @Override
    String pairing() {
        return "half";
    }
}
