package dev.rill.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.DoubleConsumer;

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
     * Fits a vocabulary on {@code text} as {@link #train(String, Params)} does, telling {@code progress}
     * the fraction done (0 to 1) as it goes, for a progress bar. Tokenizers that train slowly should
     * override it; by default only the end is told.
     */
    default Vocabulary train(String text, Params params, DoubleConsumer progress) {
        Vocabulary vocabulary = train(text, params);
        progress.accept(1);
        return vocabulary;
    }

    /**
     * Loads a vocabulary from its file (the one {@link Vocabulary#save} writes, or a user's file).
     *
     * @throws IOException on an unreadable file; {@link IllegalArgumentException} on a malformed one
     */
    Vocabulary load(Path file, Params params) throws IOException;

    /** The file name a checkpoint folder keeps this tokenizer's vocabulary under. */
    String fileName();

    /**
     * The tokenizer kinds a model file names in {@code tokenizer.ggml.model} (e.g. {@code gpt2},
     * {@code llama}) whose vocabulary this tokenizer reads from the file's metadata; none by
     * default. A model loader picks the tokenizer by this, not by name.
     */
    default Set<String> modelFileTokenizers() {
        return Set.of();
    }

    /**
     * The vocabulary in a model file's {@code tokenizer.ggml.*} metadata; only for the kinds of
     * {@link #modelFileTokenizers()}.
     *
     * @throws ModelFileException when the metadata is missing or malformed
     */
    default Vocabulary fromModelFile(ModelFile file) {
        throw new UnsupportedOperationException("tokenizer '" + name() + "' does not read a model file's metadata");
    }
}
