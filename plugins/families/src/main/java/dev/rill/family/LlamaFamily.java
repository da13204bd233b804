package dev.rill.family;

import java.util.Set;

/**
 * {@code llama}: Llama 2/3/3.1/3.2, Mistral, SmolLM — RMSNorm, SwiGLU, grouped-query attention,
 * RoPE on adjacent pairs (llama.cpp's converter permutes Hugging Face's q/k rows to match), Llama
 * 3.1's frequency scaling as the {@code rope_freqs} tensor.
 */
public final class LlamaFamily extends TransformerFamily {

    @Override
    public Set<String> architectures() {
        return one("llama");
    }

    @Override
    public String description() {
        return "Llama 2/3/3.1/3.2, Mistral, SmolLM: RMSNorm, SwiGLU, grouped-query attention, RoPE (Llama 3.1 scaling)";
    }

    @Override
    String pairing() {
        return "adjacent";
    }
}
