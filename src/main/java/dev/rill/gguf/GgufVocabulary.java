package dev.rill.gguf;

import dev.rill.spi.Params;
import dev.rill.spi.StreamDecoder;
import dev.rill.spi.Vocabulary;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A tokenizer read from GGUF metadata ({@code tokenizer.ggml.*}), one of two models:
 * <ul>
 * <li>{@code gpt2}: byte-level BPE (Llama 3, Qwen 2/3, SmolLM): text is split by the pre-tokenizer
 *     named in {@code tokenizer.ggml.pre}, each piece's UTF-8 bytes are mapped to GPT-2's printable
 *     byte alphabet, then adjacent symbols are merged by {@code tokenizer.ggml.merges} rank, lowest
 *     first. With {@code ignore_merges} (Llama 3) a piece that is itself a token is taken whole.</li>
 * <li>{@code llama}: SentencePiece-style BPE (Llama 2, Mistral, TinyLlama): spaces become ▁, a space
 *     is prefixed, characters are merged pairwise preferring the merged token with the highest
 *     {@code tokenizer.ggml.scores} entry, and characters outside the vocabulary fall back to
 *     {@code <0xXX>} byte tokens.</li>
 * </ul>
 * Token types ({@code tokenizer.ggml.token_type}) follow llama.cpp: user-defined tokens are always
 * matched in text; control tokens only when special tokens are allowed.
 */
public final class GgufVocabulary implements Vocabulary {

    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    private static final Set<String> END_OF_TURN = Set.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<|end_of_text|>", "</s>", "<|END_OF_TURN_TOKEN|>");

    public enum Model { GPT2, LLAMA }

    private final Model model;
    private final String[] tokens;
    private final float[] scores;
    private final int[] types;
    private final Map<String, Integer> ids;
    private final Map<String, Integer> mergeRanks;
    private final PreTokenizer pre;
    private final boolean ignoreMerges, nfc, addSpacePrefix, addBos, addEos;
    private final int bos, eos, eot, unk;
    /** Tokens matched in text before splitting: user-defined always, control ones when allowed. */
    private final List<String> userDefined, control;
    private final Map<String, Integer> specials;
    private final Set<Integer> endTokens;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();
    /** Byte-level BPE alphabet: byte → char, char → byte. */
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private GgufVocabulary(Model model, String[] tokens, float[] scores, int[] types, List<String> merges, PreTokenizer pre,
                           boolean ignoreMerges, boolean nfc, boolean addSpacePrefix, boolean addBos, boolean addEos,
                           int bos, int eos, int eot, int unk) {
        this.model = model;
        this.tokens = tokens;
        this.scores = scores;
        this.types = types;
        this.pre = pre;
        this.ignoreMerges = ignoreMerges;
        this.nfc = nfc;
        this.addSpacePrefix = addSpacePrefix;
        this.addBos = addBos;
        this.addEos = addEos;
        this.bos = bos;
        this.eos = eos;
        this.eot = eot;
        this.unk = unk;
        ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) ids.putIfAbsent(tokens[i], i);
        mergeRanks = new HashMap<>(merges.size() * 2);
        for (int i = 0; i < merges.size(); i++) mergeRanks.putIfAbsent(merges.get(i), i);
        List<String> ud = new ArrayList<>(), ctl = new ArrayList<>();
        Map<String, Integer> sp = new LinkedHashMap<>();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i].isEmpty()) continue;
            if (types[i] == USER_DEFINED) ud.add(tokens[i]);
            if (types[i] == CONTROL) ctl.add(tokens[i]);
            if (types[i] == USER_DEFINED || types[i] == CONTROL) sp.putIfAbsent(tokens[i], i);
        }
        // Longest first, so that a special token containing another wins.
        ud.sort((a, b) -> b.length() - a.length());
        ctl.sort((a, b) -> b.length() - a.length());
        userDefined = List.copyOf(ud);
        control = List.copyOf(ctl);
        specials = Collections.unmodifiableMap(sp);
        Set<Integer> ends = new LinkedHashSet<>();
        if (eos >= 0) ends.add(eos);
        if (eot >= 0) ends.add(eot);
        for (int i = 0; i < tokens.length; i++) if (types[i] == CONTROL && END_OF_TURN.contains(tokens[i])) ends.add(i);
        endTokens = Collections.unmodifiableSet(ends);
    }

    /**
     * Reads the tokenizer from a GGUF file's metadata.
     *
     * @throws GgufException when it is missing, malformed, or of a model Rill does not support
     */
    public static GgufVocabulary from(GgufFile f) {
        String modelName = f.getString("tokenizer.ggml.model", null);
        if (modelName == null) throw new GgufException(f.path() + " has no tokenizer (tokenizer.ggml.model is missing)");
        Model model = switch (modelName) {
            case "gpt2" -> Model.GPT2;
            case "llama" -> Model.LLAMA;
            default -> throw new GgufException(f.path() + ": tokenizer model '" + modelName + "' is not supported; supported: gpt2 (byte-level BPE), llama (SentencePiece BPE)");
        };
        String[] tokens = f.getStrings("tokenizer.ggml.tokens").toArray(String[]::new);
        int n = tokens.length;
        if (n == 0) throw new GgufException(f.path() + ": tokenizer.ggml.tokens is empty");
        float[] scores = f.has("tokenizer.ggml.scores") ? f.getFloats("tokenizer.ggml.scores") : new float[n];
        int[] types = f.has("tokenizer.ggml.token_type") ? f.getInts("tokenizer.ggml.token_type") : filled(n, NORMAL);
        if (scores.length != n || types.length != n) {
            throw new GgufException(f.path() + ": " + n + " tokens but " + scores.length + " scores and " + types.length + " token types");
        }
        List<String> merges = List.of();
        PreTokenizer pre = null;
        String preName = f.getString("tokenizer.ggml.pre", null);
        if (model == Model.GPT2) {
            merges = f.getStrings("tokenizer.ggml.merges");
            pre = PreTokenizer.named(preName);
        }
        boolean llama3 = preName != null && List.of("llama3", "llama-v3", "llama-bpe").contains(preName);
        boolean qwen = preName != null && preName.equals("qwen2");
        return new GgufVocabulary(model, tokens, scores, types, merges, pre,
                llama3, qwen,
                f.getBool("tokenizer.ggml.add_space_prefix", model == Model.LLAMA),
                f.getBool("tokenizer.ggml.add_bos_token", model == Model.LLAMA),
                f.getBool("tokenizer.ggml.add_eos_token", false),
                id(f, "tokenizer.ggml.bos_token_id", n), id(f, "tokenizer.ggml.eos_token_id", n),
                id(f, "tokenizer.ggml.eot_token_id", n), id(f, "tokenizer.ggml.unknown_token_id", n));
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }

    private static int id(GgufFile f, String key, int n) {
        if (!f.has(key)) return -1;
        long v = f.getLong(key);
        if (v < 0 || v >= n) throw new GgufException(f.path() + ": " + key + " is " + v + ", outside the " + n + " tokens");
        return (int) v;
    }

    public Model model() {
        return model;
    }

    public int bos() {
        return bos;
    }

    public int eos() {
        return eos;
    }

    /** Whether a prompt should start with BOS ({@code tokenizer.ggml.add_bos_token}). */
    public boolean addBos() {
        return addBos;
    }

    public boolean addEos() {
        return addEos;
    }

    public String token(int id) {
        return tokens[id];
    }

    public int tokenType(int id) {
        return types[id];
    }

    /** The id of a token text, or -1. */
    public int id(String token) {
        return ids.getOrDefault(token, -1);
    }

    public String preTokenizer() {
        return pre == null ? null : pre.name();
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
        return tokens.length;
    }

    @Override
    public int[] encode(String text) {
        return encode(text, false);
    }

    @Override
    public int[] encode(String text, boolean allowSpecial) {
        List<Integer> out = new ArrayList<>();
        boolean prevSpecial = true;
        int pos = 0;
        while (pos < text.length()) {
            int at = -1;
            String found = null;
            // The earliest special token; at one position, the longest.
            for (List<String> list : allowSpecial ? List.of(userDefined, control) : List.of(userDefined)) {
                for (String s : list) {
                    int i = text.indexOf(s, pos);
                    if (i >= 0 && (at < 0 || i < at || (i == at && s.length() > found.length()))) {
                        at = i;
                        found = s;
                    }
                }
            }
            int end = at < 0 ? text.length() : at;
            if (end > pos) {
                encodeText(text.substring(pos, end), prevSpecial, out);
                prevSpecial = false;
            }
            if (at < 0) break;
            out.add(specials.get(found));
            prevSpecial = true;
            pos = at + found.length();
        }
        int[] r = new int[out.size()];
        for (int i = 0; i < r.length; i++) r[i] = out.get(i);
        return r;
    }

    private void encodeText(String text, boolean afterSpecial, List<Integer> out) {
        if (model == Model.GPT2) {
            if (nfc) text = Normalizer.normalize(text, Normalizer.Form.NFC);
            for (String piece : pre.split(text)) {
                int[] ids = piece.length() <= 64 ? cache.computeIfAbsent(piece, this::bpe) : bpe(piece);
                for (int id : ids) out.add(id);
            }
        } else {
            String t = (addSpacePrefix && afterSpecial ? " " : "") + text;
            for (int id : spm(t.replace(' ', '\u2581'))) out.add(id);
        }
    }

    /** Byte-level BPE of one pre-tokenized piece. */
    private int[] bpe(String piece) {
        byte[] bytes = piece.getBytes(StandardCharsets.UTF_8);
        StringBuilder mapped = new StringBuilder(bytes.length);
        for (byte b : bytes) mapped.append(BYTE_TO_CHAR[b & 0xFF]);
        String word = mapped.toString();
        if (ignoreMerges) {
            Integer whole = ids.get(word);
            if (whole != null) return new int[]{whole};
        }
        List<String> symbols = new ArrayList<>(word.length());
        for (int i = 0; i < word.length(); i++) symbols.add(String.valueOf(word.charAt(i)));
        while (symbols.size() > 1) {
            int best = -1, bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer r = mergeRanks.get(symbols.get(i) + " " + symbols.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) break;
            String a = symbols.get(best), b = symbols.get(best + 1);
            // Merge every occurrence of this pair, left to right.
            List<String> next = new ArrayList<>(symbols.size());
            for (int i = 0; i < symbols.size(); i++) {
                if (i + 1 < symbols.size() && symbols.get(i).equals(a) && symbols.get(i + 1).equals(b)) {
                    next.add(a + b);
                    i++;
                } else {
                    next.add(symbols.get(i));
                }
            }
            symbols = next;
        }
        int[] r = new int[symbols.size()];
        int k = 0;
        for (String s : symbols) {
            Integer id = ids.get(s);
            if (id == null) {
                // Vocabularies without a merge's result or a byte symbol: fall back to the bytes.
                List<Integer> parts = new ArrayList<>();
                for (int i = 0; i < s.length(); i++) {
                    Integer bid = ids.get(String.valueOf(s.charAt(i)));
                    if (bid == null) {
                        if (unk < 0) throw new IllegalArgumentException("the vocabulary has no token for byte symbol '" + s.charAt(i) + "' and no unknown token");
                        bid = unk;
                    }
                    parts.add(bid);
                }
                r = Arrays.copyOf(r, r.length + parts.size() - 1);
                for (int p : parts) r[k++] = p;
            } else {
                r[k++] = id;
            }
        }
        return r;
    }

    /** SentencePiece BPE: merge the adjacent pair whose joined text is the best-scoring token, repeatedly. */
    private int[] spm(String text) {
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
            var bg = queue.poll();
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
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i >= 0; i = next[i]) {
            Integer id = ids.get(sym[i]);
            if (id != null) {
                out.add(id);
            } else {
                for (byte b : sym[i].getBytes(StandardCharsets.UTF_8)) {
                    Integer bid = ids.get(String.format("<0x%02X>", b & 0xFF));
                    if (bid == null) {
                        if (unk < 0) throw new IllegalArgumentException("no token or byte token for '" + sym[i] + "' and no unknown token");
                        bid = unk;
                    }
                    out.add(bid);
                }
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private record Bigram(int left, int right, float score, String text) {
    }

    private void addBigram(PriorityQueue<Bigram> queue, String[] sym, int left, int right) {
        String joined = sym[left] + sym[right];
        Integer id = ids.get(joined);
        if (id != null) queue.add(new Bigram(left, right, scores[id], joined));
    }

    /** The bytes a token stands for (control tokens: their text; byte tokens: the byte). */
    byte[] bytes(int id) {
        String t = tokens[id];
        if (model == Model.GPT2) {
            if (types[id] == CONTROL || types[id] == USER_DEFINED) return t.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream out = new ByteArrayOutputStream(t.length());
            for (int i = 0; i < t.length(); i++) {
                char c = t.charAt(i);
                int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
                if (b < 0) out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
                else out.write(b);
            }
            return out.toByteArray();
        }
        if (types[id] == BYTE && t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
            return new byte[]{(byte) Integer.parseInt(t.substring(3, 5), 16)};
        }
        return t.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id < 0 || id >= tokens.length) throw new IllegalArgumentException("token " + id + " outside the vocabulary [0, " + tokens.length + ")");
        // Control and unused tokens are markers, not text; user-defined ones (e.g. <tool_call>) are text.
        if (types[id] == CONTROL || types[id] == UNUSED || types[id] == UNKNOWN || tokens[id].isEmpty()) return null;
        return bytes(id);
    }

    /** Whether decoding drops the space SentencePiece put in front of the text. */
    private boolean stripsLeadingSpace() {
        return model == Model.LLAMA && addSpacePrefix;
    }

    @Override
    public String decode(int[] idsToDecode) {
        StreamDecoder d = streamDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : idsToDecode) sb.append(d.push(id));
        return sb.append(d.flush()).toString();
    }

    @Override
    public StreamDecoder streamDecoder() {
        return new Utf8Stream();
    }

    @Override
    public String piece(int id) {
        if (id < 0 || id >= tokens.length) throw new IllegalArgumentException("token " + id + " outside the vocabulary [0, " + tokens.length + ")");
        byte[] b = bytes(id);
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT);
        try {
            return dec.decode(ByteBuffer.wrap(b)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            StringBuilder sb = new StringBuilder();
            for (byte x : b) sb.append(String.format("<0x%02X>", x & 0xFF));
            return sb.toString();
        }
    }

    @Override
    public Map<String, Integer> specialTokens() {
        return specials;
    }

    @Override
    public Set<Integer> endTokens() {
        return endTokens;
    }

    /** Writes the tokenizer as a GGUF file holding only its {@code tokenizer.ggml.*} metadata. */
    @Override
    public void save(Path file) throws IOException {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "tokenizer");
        w.putString("tokenizer.ggml.model", model == Model.GPT2 ? "gpt2" : "llama");
        if (pre != null) w.putString("tokenizer.ggml.pre", pre.name());
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, Arrays.asList(tokens));
        List<Object> sc = new ArrayList<>(tokens.length), ty = new ArrayList<>(tokens.length);
        for (int i = 0; i < tokens.length; i++) {
            sc.add(scores[i]);
            ty.add(types[i]);
        }
        w.putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, sc);
        w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, ty);
        if (model == Model.GPT2) {
            String[] merges = new String[mergeRanks.size()];
            mergeRanks.forEach((m, r) -> merges[r] = m);
            w.putArray("tokenizer.ggml.merges", GgufValueType.STRING, Arrays.asList(merges));
        }
        if (bos >= 0) w.putUInt32("tokenizer.ggml.bos_token_id", bos);
        if (eos >= 0) w.putUInt32("tokenizer.ggml.eos_token_id", eos);
        if (eot >= 0) w.putUInt32("tokenizer.ggml.eot_token_id", eot);
        if (unk >= 0) w.putUInt32("tokenizer.ggml.unknown_token_id", unk);
        w.putBool("tokenizer.ggml.add_bos_token", addBos);
        w.putBool("tokenizer.ggml.add_eos_token", addEos);
        w.putBool("tokenizer.ggml.add_space_prefix", addSpacePrefix);
        w.write(file);
    }

    /** Holds back bytes of an unfinished UTF-8 character until a later token completes it. */
    private final class Utf8Stream implements StreamDecoder {
        private final CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE);
        private ByteBuffer pending = ByteBuffer.allocate(0);
        private boolean first = true;

        @Override
        public String push(int id) {
            if (id < 0 || id >= tokens.length) throw new IllegalArgumentException("token " + id + " outside the vocabulary [0, " + tokens.length + ")");
            byte[] b = bytes(id);
            if (first && types[id] != CONTROL) {
                if (stripsLeadingSpace() && b.length > 0 && b[0] == ' ') b = Arrays.copyOfRange(b, 1, b.length);
                first = false;
            }
            ByteBuffer in = ByteBuffer.allocate(pending.remaining() + b.length);
            in.put(pending).put(b).flip();
            CharBuffer out = CharBuffer.allocate(in.remaining() + 1);
            CoderResult r = dec.decode(in, out, false);
            if (r.isError()) throw new IllegalStateException(r.toString());
            pending = in.slice();
            return out.flip().toString();
        }

        @Override
        public String flush() {
            CharBuffer out = CharBuffer.allocate(pending.remaining() + 2);
            dec.decode(pending, out, true);
            dec.flush(out);
            dec.reset();
            pending = ByteBuffer.allocate(0);
            return out.flip().toString();
        }
    }
}
