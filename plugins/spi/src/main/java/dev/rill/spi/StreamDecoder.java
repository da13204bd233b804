package dev.rill.spi;

/**
 * Turns tokens arriving one by one into text pieces. A piece never ends inside a character:
 * bytes of an incomplete UTF-8 sequence are held back until a later token completes them.
 */
public interface StreamDecoder {

    /** Adds one token and returns the text that is now complete (possibly empty). */
    String push(int tokenId);

    /** Returns whatever is held back; truly invalid bytes become U+FFFD. */
    String flush();
}
