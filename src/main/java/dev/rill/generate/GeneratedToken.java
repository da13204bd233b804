package dev.rill.generate;

/**
 * One sampled token.
 *
 * @param index   0 for the first generated token, then 1, 2, ...
 * @param tokenId its index in the vocabulary
 * @param text    the text this token completes (UTF-8-safe; may be empty while a character or a
 *                possible stop string is held back)
 */
public record GeneratedToken(int index, int tokenId, String text) {
}
