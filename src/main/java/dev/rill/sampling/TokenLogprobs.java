package dev.rill.sampling;

/**
 * The log-probabilities of one sampled token under the distribution it was drawn from (see
 * {@link SamplerChain#logprobs}).
 *
 * @param tokenId     the sampled token
 * @param logprob     its natural-log probability
 * @param topIds      the most likely tokens, most likely first (ties by id)
 * @param topLogprobs their log-probabilities
 */
public record TokenLogprobs(int tokenId, float logprob, int[] topIds, float[] topLogprobs) {
}
