package dev.rill.tokenizer;

import dev.rill.gguf.GgufValueType;
import dev.rill.gguf.GgufWriter;
import dev.rill.spi.ModelFile;
import dev.rill.spi.Params;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A tokenizer as a model file's metadata stores it ({@code tokenizer.ggml.*}, written by llama.cpp's
 * converter), and the vocabulary it makes:
 * <ul>
 * <li>{@code gpt2}: byte-level BPE (Llama 3, Qwen 2/3, SmolLM, Phi-3.5 ...) — the same
 *     {@link BpeVocabulary} and {@link BytePairEncoder} that {@code bpe}, {@code hf} and
 *     {@code tiktoken} use, with the pre-tokenizer that {@code tokenizer.ggml.pre} names;</li>
 * <li>{@code llama}: SentencePiece BPE with byte fallback (Llama 2, Mistral, Gemma, Phi-3) —
 *     {@link SentencePieceVocabulary}.</li>
 * </ul>
 * Token types follow llama.cpp: user-defined tokens are matched in text always, control tokens
 * only when special tokens are allowed.
 *
 * @param model          {@code gpt2} or {@code llama}
 * @param pre            {@code tokenizer.ggml.pre} (byte-level BPE only; {@code null}: GPT-2's split)
 * @param addSpacePrefix SentencePiece: a space is put before the text (and after each special token)
 */
record GgufMetadata(String model, String[] tokens, float[] scores, int[] types, List<String> merges, String pre,
                    int bos, int eos, int eot, int unk, boolean addBos, boolean addEos, boolean addSpacePrefix) {

    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
    static final Set<String> MODELS = Set.of("gpt2", "llama");

    /** Pre-tokenizer names (as llama.cpp's converter writes them) → the splits they stand for. */
    private static final Map<String, List<String>> PRE = new LinkedHashMap<>();

    static {
        for (String n : List.of("llama3", "llama-v3", "llama-bpe", "falcon3", "smaug-bpe", "dbrx")) PRE.put(n, List.of(SplitPatterns.GPT4));
        for (String n : List.of("qwen2", "deepseek-r1-qwen", "stablelm2", "megrez")) PRE.put(n, List.of(SplitPatterns.QWEN2));
        for (String n : List.of("gpt-2", "gpt2", "default", "mpt", "olmo", "jais", "phi-2")) PRE.put(n, List.of(SplitPatterns.GPT2));
        for (String n : List.of("smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva")) {
            PRE.put(n, List.of("\\p{N}", SplitPatterns.GPT2));
        }
        PRE.put("gpt-4o", List.of(SplitPatterns.GPT4O));
    }

    /** Pre-tokenizers whose tokenizer.json sets {@code ignore_merges}: a piece that is a token is taken whole. */
    private static final Set<String> WHOLE_FIRST = Set.of("llama3", "llama-v3", "llama-bpe");
    /** Pre-tokenizers whose tokenizer.json normalizes to NFC first (Qwen). */
    private static final Set<String> NFC = Set.of("qwen2");

    /**
     * Reads the tokenizer metadata of {@code f}.
     *
     * @throws dev.rill.spi.ModelFileException when it is missing, malformed, or of a kind Rill does not read
     */
    static GgufMetadata read(ModelFile f) {
        String model = f.getString("tokenizer.ggml.model", null);
        if (model == null) throw f.error("no tokenizer (tokenizer.ggml.model is missing)");
        if (!MODELS.contains(model)) {
            throw f.error("tokenizer model '" + model + "' is not supported; supported: gpt2 (byte-level BPE), llama (SentencePiece BPE)");
        }
        String[] tokens = f.getStrings("tokenizer.ggml.tokens").toArray(String[]::new);
        int n = tokens.length;
        if (n == 0) throw f.error("tokenizer.ggml.tokens is empty");
        float[] scores = f.has("tokenizer.ggml.scores") ? f.getFloats("tokenizer.ggml.scores") : new float[n];
        int[] types = f.has("tokenizer.ggml.token_type") ? f.getInts("tokenizer.ggml.token_type") : filled(n, NORMAL);
        if (scores.length != n || types.length != n) {
            throw f.error(n + " tokens but " + scores.length + " scores and " + types.length + " token types");
        }
        String pre = f.getString("tokenizer.ggml.pre", null);
        List<String> merges = model.equals("gpt2") ? f.getStrings("tokenizer.ggml.merges") : List.of();
        if (model.equals("gpt2") && !PRE.containsKey(pre == null ? "default" : pre)) {
            throw f.error("pre-tokenizer '" + pre + "' (tokenizer.ggml.pre) is not supported; supported: " + String.join(", ", PRE.keySet()));
        }
        boolean spm = model.equals("llama");
        return new GgufMetadata(model, tokens, scores, types, merges, pre,
                id(f, "tokenizer.ggml.bos_token_id", n), id(f, "tokenizer.ggml.eos_token_id", n),
                id(f, "tokenizer.ggml.eot_token_id", n), id(f, "tokenizer.ggml.unknown_token_id", n),
                f.getBool("tokenizer.ggml.add_bos_token", spm), f.getBool("tokenizer.ggml.add_eos_token", false),
                f.getBool("tokenizer.ggml.add_space_prefix", spm));
    }

    private static int[] filled(int n, int v) {
        int[] a = new int[n];
        Arrays.fill(a, v);
        return a;
    }

    private static int id(ModelFile f, String key, int n) {
        if (!f.has(key)) return -1;
        long v = f.getLong(key);
        if (v < 0 || v >= n) throw f.error(key + " is " + v + ", outside the " + n + " tokens");
        return (int) v;
    }

    /** The vocabulary this metadata describes. */
    Vocabulary vocabulary() {
        return model.equals("gpt2") ? byteLevel() : new SentencePieceVocabulary(this);
    }

    /** Added tokens as llama.cpp matches them: user-defined always, control ones when allowed; both in raw text. */
    List<AddedTokens.Token> addedTokens() {
        List<AddedTokens.Token> out = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i].isEmpty() || (types[i] != CONTROL && types[i] != USER_DEFINED)) continue;
            out.add(new AddedTokens.Token(i, tokens[i], types[i] == CONTROL, false, false, false, false));
        }
        return out;
    }

    /** End of sequence, end of turn, and the control tokens that end a turn by their name. */
    Set<Integer> endTokens() {
        Set<Integer> ends = new LinkedHashSet<>();
        if (eos >= 0) ends.add(eos);
        if (eot >= 0) ends.add(eot);
        for (int i = 0; i < tokens.length; i++) if (types[i] == CONTROL && BpeVocabulary.END_TOKEN_NAMES.contains(tokens[i])) ends.add(i);
        return ends;
    }

    BpeVocabulary.Framing framing() {
        return new BpeVocabulary.Framing(bos, eos, addBos, endTokens());
    }

    /** Byte-level BPE: tokens are GPT-2 byte-alphabet strings, merges "left right" by rank. */
    private BpeVocabulary byteLevel() {
        int n = tokens.length;
        Map<String, Integer> ids = new java.util.HashMap<>(n * 2);
        for (int i = 0; i < n; i++) ids.putIfAbsent(tokens[i], i);
        byte[][] tokenBytes = new byte[n][];
        int[] byteTokens = new int[256];
        Arrays.fill(byteTokens, -1);
        boolean wholeFirst = pre != null && WHOLE_FIRST.contains(pre);   // Set.of refuses to look up null
        BytesTable whole = wholeFirst ? new BytesTable(n) : null;
        for (int i = 0; i < n; i++) {
            boolean added = types[i] == CONTROL || types[i] == USER_DEFINED;
            tokenBytes[i] = added ? tokens[i].getBytes(StandardCharsets.UTF_8) : ByteLevel.decode(tokens[i]);
            if (added) continue;
            String t = tokens[i];
            if (t.length() == 1 && ByteLevel.byteOf(t.charAt(0)) >= 0 && byteTokens[ByteLevel.byteOf(t.charAt(0))] < 0) {
                byteTokens[ByteLevel.byteOf(t.charAt(0))] = i;
            }
            if (whole != null) whole.putIfAbsent(tokenBytes[i], i);
        }
        LongLongMap mergeTable = new LongLongMap(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String m = merges.get(rank);
            int space = m.indexOf(' ', 1);
            if (space < 0) throw new IllegalArgumentException("tokenizer.ggml.merges[" + rank + "] '" + m + "' is not two tokens separated by a space");
            String a = m.substring(0, space), b = m.substring(space + 1);
            Integer ia = ids.get(a), ib = ids.get(b), merged = ids.get(a + b);
            // A merge naming a token the vocabulary lacks can never apply; llama.cpp keeps and ignores it too.
            if (ia == null || ib == null || merged == null) continue;
            // A pair listed twice keeps its first rank (llama.cpp's converter writes each once).
            long pair = LongLongMap.pair(ia, ib);
            if (mergeTable.get(pair) == LongLongMap.MISSING) mergeTable.put(pair, (long) rank << 32 | merged);
        }
        Normalizer normalizer = pre != null && NFC.contains(pre) ? new Normalizer(List.of(Normalizer.Step.NFC)) : Normalizer.NONE;
        return new BpeVocabulary(GgufTokenizer.NAME, Params.EMPTY, tokenBytes, new AddedTokens(addedTokens(), normalizer), normalizer,
                preTokenizer(pre), new BytePairEncoder(byteTokens, mergeTable, whole), this::write, framing());
    }

    /** The split a pre-tokenizer name stands for: each pattern splits the pieces of the one before, keeping unmatched text. */
    static PreTokenizer preTokenizer(String name) {
        List<String> patterns = PRE.get(name == null ? "default" : name);
        if (patterns == null) throw new IllegalArgumentException("pre-tokenizer '" + name + "' is not supported; supported: " + String.join(", ", PRE.keySet()));
        List<PreTokenizer> steps = new ArrayList<>();
        for (String p : patterns) steps.add(new PreTokenizer.Split(OnigRegex.compile(p), p, PreTokenizer.Behavior.ISOLATED, false));
        return steps.size() == 1 ? steps.getFirst() : new PreTokenizer.Sequence(steps);
    }

    static List<String> preTokenizers() {
        return List.copyOf(PRE.keySet());
    }

    /** Writes the tokenizer as a GGUF file holding only its {@code tokenizer.ggml.*} metadata. */
    void write(Path file) throws IOException {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "tokenizer");
        w.putString("tokenizer.ggml.model", model);
        if (pre != null) w.putString("tokenizer.ggml.pre", pre);
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, Arrays.asList(tokens));
        List<Object> sc = new ArrayList<>(tokens.length), ty = new ArrayList<>(tokens.length);
        for (int i = 0; i < tokens.length; i++) {
            sc.add(scores[i]);
            ty.add(types[i]);
        }
        w.putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, sc);
        w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, ty);
        if (model.equals("gpt2")) w.putArray("tokenizer.ggml.merges", GgufValueType.STRING, new ArrayList<>(merges));
        if (bos >= 0) w.putUInt32("tokenizer.ggml.bos_token_id", bos);
        if (eos >= 0) w.putUInt32("tokenizer.ggml.eos_token_id", eos);
        if (eot >= 0) w.putUInt32("tokenizer.ggml.eot_token_id", eot);
        if (unk >= 0) w.putUInt32("tokenizer.ggml.unknown_token_id", unk);
        w.putBool("tokenizer.ggml.add_bos_token", addBos);
        w.putBool("tokenizer.ggml.add_eos_token", addEos);
        w.putBool("tokenizer.ggml.add_space_prefix", addSpacePrefix);
        w.write(file);
    }
}
