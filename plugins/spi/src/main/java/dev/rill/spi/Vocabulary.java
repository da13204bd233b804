package dev.rill.spi;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** A fitted or loaded tokenizer: the vocabulary of {@code size()} tokens and the maps to and from text. */
public interface Vocabulary {

    /** The name of the {@link Tokenizer} that made this vocabulary. */
    String tokenizer();

    /** The parameters it was made with (recorded in checkpoints). */
    Params params();

    /** {@code nVocab}: token indices are {@code 0 .. size()-1}. */
    int size();

    /** Encodes text; special tokens in the text are encoded as plain text. */
    int[] encode(String text);

    /** Encodes text; when {@code allowSpecial}, special-token strings in it become their ids. */
    default int[] encode(String text, boolean allowSpecial) {
        return encode(text);
    }

    /** Decodes a whole sequence. */
    String decode(int[] ids);

    /** A decoder for tokens that arrive one at a time (holds back incomplete characters). */
    StreamDecoder streamDecoder();

    /** Human-readable text of one token (for listings; may show bytes escaped). */
    String piece(int id);

    /**
     * The bytes token {@code id} adds to generated text: its UTF-8 text, or the raw byte of a
     * byte-fallback token (which may be part of a multi-byte character), or {@code null} for a token
     * that is not text (control tokens such as BOS, EOS and end of turn, ids the vocabulary leaves
     * undefined). Constrained sampling matches these bytes against its grammar.
     *
     * @throws IllegalArgumentException for an id outside {@code [0, size())}
     */
    byte[] tokenBytes(int id);

    /** Special tokens by their text. */
    default Map<String, Integer> specialTokens() {
        return Map.of();
    }

    /** Tokens at which generation stops (end of sequence, end of turn). */
    default Set<Integer> endTokens() {
        return Set.of();
    }

    /** The beginning-of-sequence token, or -1 when the vocabulary has none. */
    default int bos() {
        return -1;
    }

    /** The end-of-sequence token, or -1 when the vocabulary has none. */
    default int eos() {
        return -1;
    }

    /** Whether a prompt should start with {@link #bos()} (as the model was trained). */
    default boolean addBos() {
        return false;
    }

    /** Writes this vocabulary to {@code file} atomically, in the tokenizer's own format. */
    void save(Path file) throws IOException;
}
