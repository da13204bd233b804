package dev.rill.generate;

import dev.rill.sampling.SamplerChain;

import java.util.List;

/**
 * What to generate: a prompt's token indices, how many tokens at most, how to sample, when to stop.
 *
 * @param prompt    token indices; cropped to the model's last {@code maxContext} tokens as the seed says
 * @param maxTokens most tokens to generate (≥ 1)
 * @param chain     the sampler chain
 * @param seed      seed of the random source; {@code null} draws one
 * @param stop      stop strings (not emitted; text is held back only while it could still become one)
 */
public record GenerationRequest(int[] prompt, int maxTokens, SamplerChain chain, Long seed, List<String> stop) {

    public GenerationRequest {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("the prompt is empty; at least one token is needed to predict the next");
        if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be ≥ 1 (got " + maxTokens + ")");
        if (chain == null) throw new IllegalArgumentException("no sampler chain");
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) if (s.isEmpty()) throw new IllegalArgumentException("a stop string is empty");
    }
}
