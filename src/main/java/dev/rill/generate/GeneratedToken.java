package dev.rill.generate;

import dev.rill.sampling.TokenLogprobs;

/**
 * One sampled token.
 *
 * @param index    0 for the first generated token, then 1, 2, ...
 * @param tokenId  its index in the vocabulary
 * @param text     the text this token completes (UTF-8-safe; may be empty while a character or a
 *                 possible stop string is held back)
 * @param logprobs its log-probabilities when the request asked for them, else {@code null}
 */
public record GeneratedToken(int index, int tokenId, String text, TokenLogprobs logprobs) {

    public GeneratedToken(int index, int tokenId, String text) {
        this(index, tokenId, text, null);
    }
}
