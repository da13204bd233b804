package dev.rill.spi;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A tokenizer family: turns text into token indices and back. Some fit a {@link Vocabulary} on a
 * text (char-level, byte-level BPE), some load one from a file (tokenizer.json, tiktoken ranks).
 */
public interface Tokenizer extends Plugin {

    /** Whether {@link #train} fits a vocabulary on text. */
    default boolean trainable() {
        return false;
    }

    /**
     * Fits a vocabulary on {@code text}.
     *
     * @throws IllegalArgumentException when the text or the parameters cannot give a vocabulary
     */
    default Vocabulary train(String text, Params params) {
        throw new UnsupportedOperationException("tokenizer '" + name() + "' cannot be trained on text; it loads a vocabulary file");
    }

    /**
     * Loads a vocabulary from its file (the one {@link Vocabulary#save} writes, or a user's file).
     *
     * @throws IOException on an unreadable file; {@link IllegalArgumentException} on a malformed one
     */
    Vocabulary load(Path file, Params params) throws IOException;

    /** The file name a checkpoint folder keeps this tokenizer's vocabulary under. */
    String fileName();
}
