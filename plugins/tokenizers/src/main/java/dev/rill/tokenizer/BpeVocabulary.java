package dev.rill.tokenizer;

import dev.rill.spi.Params;
import dev.rill.spi.StreamDecoder;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A byte-level BPE vocabulary, whichever file it came from (a trained {@code bpe}, a Hugging Face
 * tokenizer.json, tiktoken ranks). Encoding: lone surrogates become U+FFFD; added tokens are cut
 * out (special ones only when allowed); the rest is normalized, pre-tokenized, and each pre-token's
 * UTF-8 bytes are byte-pair encoded, with a cache per pre-token. Decoding concatenates the tokens'
 * bytes and reads them as UTF-8. Thread-safe.
 * <p>
 * Lone surrogates: a Java string may hold half of a surrogate pair, which is not a character and
 * has no UTF-8 form. Each one is encoded as U+FFFD (as tiktoken and the browser's TextEncoder do),
 * so {@code decode(encode(s))} equals {@code s} with its lone surrogates replaced by U+FFFD, and
 * equals {@code s} itself for every well-formed string (and for NFC text where the vocabulary
 * normalizes to NFC).
 */
final class BpeVocabulary implements Vocabulary {

    /** Special tokens that end generation when the vocabulary has them. */
    static final Set<String> END_TOKEN_NAMES = Set.of("<|endoftext|>", "<|end_of_text|>", "<|eot_id|>", "<|eom_id|>",
            "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "</s>", "<eos>", "<end_of_turn>", "<|END_OF_TURN_TOKEN|>");

    /**
     * What a model file says about sequence boundaries, beyond the tokens themselves.
     *
     * @param ends tokens that end generation besides the special tokens named in {@link #END_TOKEN_NAMES}
     */
    record Framing(int bos, int eos, boolean addBos, Set<Integer> ends) {
        static final Framing NONE = new Framing(-1, -1, false, Set.of());
    }

    private static final int CACHE_LIMIT = 1 << 16;
    /** Pre-tokens longer than this (runs of spaces, digits, CJK) are not cached. */
    private static final int CACHE_MAX_PIECE = 64;

    /** Writes the vocabulary in its tokenizer's file format. */
    @FunctionalInterface
    interface Saver {
        void save(Path file) throws IOException;
    }

    private final String tokenizer;
    private final Params params;
    private final byte[][] tokenBytes;
    private final AddedTokens addedTokens;
    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    private final BytePairEncoder bpe;
    private final Saver saver;
    private final Map<String, Integer> specialTokens;
    private final Set<Integer> endTokens;
    private final Set<Integer> specialIds;
    private final Framing framing;
    private final ConcurrentHashMap<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param tokenBytes  the bytes of each id, {@code null} for ids the vocabulary does not define
     *                    (an added token's bytes are its UTF-8 content)
     * @param saver       writes the vocabulary in its tokenizer's file format
     */
    BpeVocabulary(String tokenizer, Params params, byte[][] tokenBytes, AddedTokens addedTokens, Normalizer normalizer,
                  PreTokenizer preTokenizer, BytePairEncoder bpe, Saver saver) {
        this(tokenizer, params, tokenBytes, addedTokens, normalizer, preTokenizer, bpe, saver, Framing.NONE);
    }

    /** @param framing BOS/EOS and further end tokens (a GGUF file's metadata gives them) */
    BpeVocabulary(String tokenizer, Params params, byte[][] tokenBytes, AddedTokens addedTokens, Normalizer normalizer,
                  PreTokenizer preTokenizer, BytePairEncoder bpe, Saver saver, Framing framing) {
        this.tokenizer = tokenizer;
        this.params = params;
        this.tokenBytes = tokenBytes;
        this.addedTokens = addedTokens;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.bpe = bpe;
        Map<String, Integer> specials = new LinkedHashMap<>();
        Set<Integer> ends = new LinkedHashSet<>(framing.ends());
        for (AddedTokens.Token t : addedTokens.all()) {
            if (t.special()) {
                specials.put(t.content(), t.id());
                if (END_TOKEN_NAMES.contains(t.content())) ends.add(t.id());
            }
        }
        this.specialTokens = Collections.unmodifiableMap(specials);
        this.specialIds = Set.copyOf(specials.values());
        this.endTokens = Collections.unmodifiableSet(ends);
        this.saver = saver;
        this.framing = framing;
    }

    @Override
    public String tokenizer() {
        return tokenizer;
    }

    @Override
    public Params params() {
        return params;
    }

    @Override
    public int size() {
        return tokenBytes.length;
    }

    @Override
    public int[] encode(String text) {
        return encode(text, false);
    }

    @Override
    public int[] encode(String text, boolean allowSpecial) {
        IntList out = new IntList(text.length() / 3 + 4);
        String clean = replaceLoneSurrogates(text);
        addedTokens.splitRaw(clean, allowSpecial, new AddedTokens.Sink() {
            @Override
            public void text(String section) {
                encodeSection(section, allowSpecial, out);
            }

            @Override
            public void token(AddedTokens.Token token) {
                out.add(token.id());
            }
        });
        return out.toArray();
    }

    private void encodeSection(String section, boolean allowSpecial, IntList out) {
        String normalized = normalizer.apply(section);
        if (!addedTokens.hasNormalized()) {
            preTokenizer.split(normalized, piece -> encodePiece(piece, out));
            return;
        }
        addedTokens.splitNormalized(normalized, allowSpecial, new AddedTokens.Sink() {
            @Override
            public void text(String text) {
                preTokenizer.split(text, piece -> encodePiece(piece, out));
            }

            @Override
            public void token(AddedTokens.Token token) {
                out.add(token.id());
            }
        });
    }

    private void encodePiece(String piece, IntList out) {
        int[] ids = cache.get(piece);
        if (ids == null) {
            ids = bpe.encode(piece.getBytes(StandardCharsets.UTF_8));
            if (piece.length() <= CACHE_MAX_PIECE) {
                if (cache.size() >= CACHE_LIMIT) cache.clear(); // crude bound; refills with the text's common words
                cache.put(piece, ids);
            }
        }
        out.addAll(ids);
    }

    /** {@code text} with each unpaired surrogate replaced by U+FFFD. */
    static String replaceLoneSurrogates(String text) {
        StringBuilder sb = null;
        int n = text.length();
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (!Character.isSurrogate(c)) continue;
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
                continue;
            }
            if (sb == null) sb = new StringBuilder(text);
            sb.setCharAt(i, '\uFFFD');
        }
        return sb == null ? text : sb.toString();
    }

    /** The bytes token {@code id} stands for (empty for an id the vocabulary leaves undefined). */
    byte[] bytes(int id) {
        if (id < 0 || id >= tokenBytes.length) {
            throw new IllegalArgumentException("token " + id + " outside the vocabulary [0, " + tokenBytes.length + ")");
        }
        byte[] b = tokenBytes[id];
        return b == null ? new byte[0] : b;
    }

    @Override
    public byte[] tokenBytes(int id) {
        byte[] b = bytes(id);
        if (b.length == 0 || specialIds.contains(id)) return null;   // undefined or special (not text)
        return b.clone();
    }

    /** The token of one byte, or -1 when the vocabulary has none. */
    int byteToken(int b) {
        return bpe.byteToken(b);
    }

    @Override
    public String decode(int[] ids) {
        var bytes = new java.io.ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) bytes.writeBytes(bytes(id));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Override
    public StreamDecoder streamDecoder() {
        return new Utf8StreamDecoder(this::bytes);
    }

    /**
     * The token's text when its bytes are valid UTF-8 by themselves; otherwise printable ASCII
     * as is and every other byte as {@code <0xNN>} (e.g. the first half of an emoji).
     */
    @Override
    public String piece(int id) {
        return piece(bytes(id));
    }

    /** Bytes as text when they are valid UTF-8 by themselves; else printable ASCII as is and other bytes as {@code <0xNN>}. */
    static String piece(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            StringBuilder sb = new StringBuilder();
            for (byte x : b) {
                int v = x & 0xFF;
                if (v >= 0x20 && v < 0x7F) sb.append((char) v);
                else sb.append(String.format("<0x%02X>", v));
            }
            return sb.toString();
        }
    }


    @Override
    public Map<String, Integer> specialTokens() {
        return specialTokens;
    }

    @Override
    public Set<Integer> endTokens() {
        return endTokens;
    }

    @Override
    public int bos() {
        return framing.bos();
    }

    @Override
    public int eos() {
        return framing.eos();
    }

    @Override
    public boolean addBos() {
        return framing.addBos();
    }

    @Override
    public void save(Path file) throws IOException {
        saver.save(file);
    }
}
