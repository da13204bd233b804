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
 * @param logprobs  -1: no log-probabilities; 0..{@value #MAX_LOGPROBS}: each token's log-probability
 *                  and that many of the most likely alternatives
 */
public record GenerationRequest(int[] prompt, int maxTokens, SamplerChain chain, Long seed, List<String> stop, int logprobs) {

    /** The most alternatives a token's log-probabilities list (OpenAI's limit). */
    public static final int MAX_LOGPROBS = 20;

    public GenerationRequest(int[] prompt, int maxTokens, SamplerChain chain, Long seed, List<String> stop) {
        this(prompt, maxTokens, chain, seed, stop, -1);
    }

    public GenerationRequest {
        if (logprobs < -1 || logprobs > MAX_LOGPROBS) {
            throw new IllegalArgumentException("logprobs must be between 0 and " + MAX_LOGPROBS + " (got " + logprobs + ")");
        }
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("the prompt is empty; at least one token is needed to predict the next");
        if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be ≥ 1 (got " + maxTokens + ")");
        if (chain == null) throw new IllegalArgumentException("no sampler chain");
        stop = stop == null ? List.of() : List.copyOf(stop);
        for (String s : stop) if (s.isEmpty()) throw new IllegalArgumentException("a stop string is empty");
    }
}
