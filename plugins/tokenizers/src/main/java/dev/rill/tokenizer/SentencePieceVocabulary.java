package dev.rill.tokenizer;

import dev.rill.spi.Params;
import dev.rill.spi.StreamDecoder;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * SentencePiece-style BPE as a GGUF file's {@code llama} tokenizer describes it (Llama 2, Mistral,
 * Gemma, Phi-3): spaces become ▁, a space is put in front of the text and after each special token
 * (when {@code add_space_prefix}), characters are merged pairwise preferring the merged token with
 * the highest score, and characters outside the vocabulary fall back to {@code <0xXX>} byte tokens.
 * Special tokens are cut out of the text as by every other vocabulary ({@link AddedTokens});
 * decoding reads the tokens' bytes as UTF-8 ({@link Utf8StreamDecoder}), dropping the space the
 * encoder put in front.
 */
final class SentencePieceVocabulary implements Vocabulary {

    private static final char SPACE = '\u2581';

    private final GgufMetadata meta;
    private final Map<String, Integer> ids;
    private final AddedTokens added;
    private final Map<String, Integer> specials;
    private final Set<Integer> endTokens;

    SentencePieceVocabulary(GgufMetadata meta) {
        this.meta = meta;
        String[] tokens = meta.tokens();
        ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) ids.putIfAbsent(tokens[i], i);
        added = new AddedTokens(meta.addedTokens(), Normalizer.NONE);
        Map<String, Integer> sp = new LinkedHashMap<>();
        for (AddedTokens.Token t : added.all()) sp.putIfAbsent(t.content(), t.id());
        specials = Collections.unmodifiableMap(sp);
        endTokens = Collections.unmodifiableSet(meta.endTokens());
    }

    @Override
    public String tokenizer() {
        return GgufTokenizer.NAME;
    }

    @Override
    public Params params() {
        return Params.EMPTY;
    }

    @Override
    public int size() {
        return meta.tokens().length;
    }

    @Override
    public int[] encode(String text) {
        return encode(text, false);
    }

    @Override
    public int[] encode(String text, boolean allowSpecial) {
        IntList out = new IntList(text.length() / 3 + 4);
        boolean[] afterSpecial = {true};
        added.splitRaw(BpeVocabulary.replaceLoneSurrogates(text), allowSpecial, new AddedTokens.Sink() {
            @Override
            public void text(String section) {
                String t = (meta.addSpacePrefix() && afterSpecial[0] ? " " : "") + section;
                out.addAll(merge(t.replace(' ', SPACE)));
                afterSpecial[0] = false;
            }

            @Override
            public void token(AddedTokens.Token token) {
                out.add(token.id());
                afterSpecial[0] = true;
            }
        });
        return out.toArray();
    }

    /** Merges the adjacent pair whose joined text is the best-scoring token, repeatedly. */
    private int[] merge(String text) {
        // Symbols: one per code point, as a doubly linked list over arrays.
        int[] cps = text.codePoints().toArray();
        int n = cps.length;
        if (n == 0) return new int[0];
        String[] sym = new String[n];
        int[] prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            sym[i] = new String(Character.toChars(cps[i]));
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < n; i++) addBigram(queue, sym, i, i + 1);
        while (!queue.isEmpty()) {
            Bigram bg = queue.poll();
            // Stale: one side already merged away or changed.
            if (sym[bg.left] == null || sym[bg.right] == null || next[bg.left] != bg.right
                    || !(sym[bg.left] + sym[bg.right]).equals(bg.text)) continue;
            sym[bg.left] = bg.text;
            sym[bg.right] = null;
            next[bg.left] = next[bg.right];
            if (next[bg.right] >= 0) prev[next[bg.right]] = bg.left;
            if (prev[bg.left] >= 0) addBigram(queue, sym, prev[bg.left], bg.left);
            if (next[bg.left] >= 0) addBigram(queue, sym, bg.left, next[bg.left]);
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0; i = next[i]) {
            Integer id = ids.get(sym[i]);
            if (id != null) {
                out.add(id);
                continue;
            }
            for (byte b : sym[i].getBytes(StandardCharsets.UTF_8)) {
                Integer bid = ids.get(String.format("<0x%02X>", b & 0xFF));
                if (bid == null) {
                    if (meta.unk() < 0) throw new IllegalArgumentException("no token or byte token for '" + sym[i] + "' and no unknown token");
                    bid = meta.unk();
                }
                out.add(bid);
            }
        }
        return out.toArray();
    }

    private record Bigram(int left, int right, float score, String text) {
    }

    private void addBigram(PriorityQueue<Bigram> queue, String[] sym, int left, int right) {
        String joined = sym[left] + sym[right];
        Integer id = ids.get(joined);
        if (id != null) queue.add(new Bigram(left, right, meta.scores()[id], joined));
    }

    /** The bytes a token stands for (control tokens: their text; byte tokens: the byte; ▁: a space). */
    private byte[] bytes(int id) {
        if (id < 0 || id >= size()) throw new IllegalArgumentException("token " + id + " outside the vocabulary [0, " + size() + ")");
        String t = meta.tokens()[id];
        int type = meta.types()[id];
        if (type == GgufMetadata.BYTE && t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
            return new byte[]{(byte) Integer.parseInt(t.substring(3, 5), 16)};
        }
        if (type == GgufMetadata.CONTROL || type == GgufMetadata.USER_DEFINED) return t.getBytes(StandardCharsets.UTF_8);
        return t.replace(SPACE, ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(int[] tokenIds) {
        StreamDecoder d = streamDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : tokenIds) sb.append(d.push(id));
        return sb.append(d.flush()).toString();
    }

    /** Drops the space the encoder put in front of the text from the first token that is not a control token. */
    @Override
    public StreamDecoder streamDecoder() {
        boolean[] first = {meta.addSpacePrefix()};
        return new Utf8StreamDecoder(id -> {
            byte[] b = bytes(id);
            if (first[0] && meta.types()[id] != GgufMetadata.CONTROL) {
                first[0] = false;
                if (b.length > 0 && b[0] == ' ') b = Arrays.copyOfRange(b, 1, b.length);
            }
            return b;
        });
    }

    @Override
    public String piece(int id) {
        return BpeVocabulary.piece(bytes(id));
    }

    @Override
    public byte[] tokenBytes(int id) {
        byte[] b = bytes(id);
        int type = meta.types()[id];
        // Control, unused and unknown tokens are markers, not text; user-defined ones (e.g. <tool_call>) are text.
        if (type == GgufMetadata.CONTROL || type == GgufMetadata.UNUSED || type == GgufMetadata.UNKNOWN || b.length == 0) return null;
        return b;
    }


    @Override
    public Map<String, Integer> specialTokens() {
        return specials;
    }

    @Override
    public Set<Integer> endTokens() {
        return endTokens;
    }

    @Override
    public int bos() {
        return meta.bos();
    }

    @Override
    public int eos() {
        return meta.eos();
    }

    @Override
    public boolean addBos() {
        return meta.addBos();
    }

    @Override
    public void save(Path file) throws IOException {
        meta.write(file);
    }
}
