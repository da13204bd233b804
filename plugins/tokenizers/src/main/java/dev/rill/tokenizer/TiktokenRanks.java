package dev.rill.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.rill.io.AtomicFiles;
import dev.rill.spi.Params;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * tiktoken vocabularies: the rank files OpenAI publishes ({@code cl100k_base.tiktoken}: one
 * {@code base64-token rank} pair per line) and the JSON form the npm packages {@code tiktoken}
 * and {@code js-tiktoken} ship ({@code pat_str}, {@code special_tokens}, and {@code bpe_ranks} as
 * lines of {@code label first-rank token token ...}). A token's rank is its id. The split pattern
 * and special tokens of each known encoding are part of tiktoken, not of the rank file.
 */
final class TiktokenRanks {

    /**
     * One of tiktoken's encodings.
     *
     * @param ranks the number of ranks its file holds (how {@code auto} recognizes a plain rank file)
     */
    record Encoding(String name, String pattern, Map<String, Integer> specials, int ranks) {
    }

    static final Map<String, Encoding> KNOWN = known();

    private static Map<String, Encoding> known() {
        Map<String, Encoding> m = new LinkedHashMap<>();
        m.put("r50k_base", new Encoding("r50k_base", SplitPatterns.GPT2, Map.of("<|endoftext|>", 50256), 50256));
        m.put("p50k_base", new Encoding("p50k_base", SplitPatterns.GPT2, Map.of("<|endoftext|>", 50256), 50280));
        m.put("p50k_edit", new Encoding("p50k_edit", SplitPatterns.GPT2, ordered("<|endoftext|>", 50256, "<|fim_prefix|>", 50281,
                "<|fim_middle|>", 50282, "<|fim_suffix|>", 50283), 50280));
        m.put("cl100k_base", new Encoding("cl100k_base", SplitPatterns.GPT4, ordered("<|endoftext|>", 100257, "<|fim_prefix|>", 100258,
                "<|fim_middle|>", 100259, "<|fim_suffix|>", 100260, "<|endofprompt|>", 100276), 100256));
        m.put("o200k_base", new Encoding("o200k_base", SplitPatterns.GPT4O, ordered("<|endoftext|>", 199999, "<|endofprompt|>", 200018), 199998));
        return m;
    }

    private static Map<String, Integer> ordered(Object... kv) {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], (Integer) kv[i + 1]);
        return m;
    }

    /** Ranks read from a file, and what the file says about its encoding (JSON form only). */
    record RankFile(byte[][] ranks, String pattern, Map<String, Integer> specials) {
    }

    private TiktokenRanks() {
    }

    /**
     * Reads a rank file in either form.
     *
     * @throws IllegalArgumentException naming the file, the line and what is wrong
     */
    static RankFile read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            return text.stripLeading().startsWith("{") ? readJson(text) : readPlain(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static RankFile readPlain(String text) {
        List<byte[]> byRank = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) continue;
            String[] parts = line.split(" ");
            if (parts.length != 2) {
                throw new IllegalArgumentException("line " + (i + 1) + " " + TokenizerJson.quote(abbreviate(line))
                        + " is not 'base64-token rank'");
            }
            put(byRank, decode(parts[0], i + 1), parseRank(parts[1], i + 1), i + 1);
        }
        return new RankFile(finish(byRank), null, null);
    }

    private static RankFile readJson(String text) {
        JsonNode root;
        try {
            root = TokenizerJson.JSON.readTree(text);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("is not valid JSON: " + e.getOriginalMessage());
        }
        if (!root.path("bpe_ranks").isTextual() || !root.path("pat_str").isTextual()) {
            throw new IllegalArgumentException("JSON rank file needs \"pat_str\" and \"bpe_ranks\" strings (the npm tiktoken form)");
        }
        List<byte[]> byRank = new ArrayList<>();
        String[] lines = root.get("bpe_ranks").asText().split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].isEmpty()) continue;
            String[] parts = lines[i].split(" ");
            if (parts.length < 2) throw new IllegalArgumentException("bpe_ranks line " + (i + 1) + " has no first rank");
            int first = parseRank(parts[1], i + 1);
            for (int k = 2; k < parts.length; k++) put(byRank, decode(parts[k], i + 1), first + k - 2, i + 1);
        }
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (var it = root.path("special_tokens").fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isIntegralNumber()) throw new IllegalArgumentException("special token " + e.getKey() + " has id " + e.getValue());
            specials.put(e.getKey(), e.getValue().asInt());
        }
        return new RankFile(finish(byRank), root.get("pat_str").asText(), specials);
    }

    private static byte[] decode(String base64, int line) {
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("line " + line + ": " + TokenizerJson.quote(abbreviate(base64)) + " is not base64");
        }
    }

    private static int parseRank(String s, int line) {
        try {
            int r = Integer.parseInt(s);
            if (r < 0 || r >= 1 << 24) throw new NumberFormatException();
            return r;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("line " + line + ": rank " + TokenizerJson.quote(abbreviate(s))
                    + " is not a whole number in [0, 16777216)");
        }
    }

    private static void put(List<byte[]> byRank, byte[] token, int rank, int line) {
        if (token.length == 0) throw new IllegalArgumentException("line " + line + ": empty token");
        while (byRank.size() <= rank) byRank.add(null);
        if (byRank.get(rank) != null) throw new IllegalArgumentException("line " + line + ": rank " + rank + " is given twice");
        byRank.set(rank, token);
    }

    private static byte[][] finish(List<byte[]> byRank) {
        if (byRank.isEmpty()) throw new IllegalArgumentException("holds no ranks (empty or truncated file)");
        byte[][] ranks = byRank.toArray(new byte[0][]);
        BytesTable seen = new BytesTable(ranks.length);
        for (int r = 0; r < ranks.length; r++) {
            if (ranks[r] == null) continue;
            int first = seen.putIfAbsent(ranks[r], r);
            if (first != r) {
                throw new IllegalArgumentException("token " + TokenizerJson.quote(ByteLevel.encode(ranks[r])) + " (bytes shown byte-level) has two ranks, "
                        + first + " and " + r);
            }
        }
        return ranks;
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /**
     * Resolves which encoding a file is: the one named, else the one whose pattern and special
     * tokens a JSON file carries, else by file name ({@code cl100k_base.tiktoken}), else by the
     * number of ranks.
     */
    static Encoding resolve(String requested, Path file, RankFile f) {
        Encoding e = pick(requested, file, f);
        int n = countRanks(f.ranks());
        if (n != e.ranks()) {
            throw new IllegalArgumentException(file + " holds " + n + " ranks, but " + e.name() + " has " + e.ranks()
                    + ": a truncated file, or another encoding's");
        }
        return e;
    }

    private static Encoding pick(String requested, Path file, RankFile f) {
        if (!requested.equals("auto")) {
            Encoding e = KNOWN.get(requested);
            if (e == null) throw new IllegalArgumentException("unknown tiktoken encoding '" + requested + "'; known: " + String.join(", ", KNOWN.keySet()));
            if (f.pattern() != null && (!f.pattern().equals(e.pattern()) || !f.specials().equals(e.specials()))) {
                throw new IllegalArgumentException(file + " has the split pattern or special tokens of another encoding than "
                        + requested + "; use encoding=auto");
            }
            return e;
        }
        if (f.pattern() != null) {
            int n = countRanks(f.ranks());
            for (Encoding e : KNOWN.values()) {
                if (e.pattern().equals(f.pattern()) && e.specials().equals(f.specials()) && e.ranks() == n) return e;
            }
            throw new IllegalArgumentException(file + ": its split pattern, special tokens and " + n + " ranks match none of the "
                    + "known encodings " + String.join(", ", KNOWN.keySet()));
        }
        String name = file.getFileName().toString();
        for (Encoding e : KNOWN.values()) if (name.startsWith(e.name())) return e;
        int n = countRanks(f.ranks());
        for (Encoding e : KNOWN.values()) if (e.ranks() == n) return e;
        throw new IllegalArgumentException(file + " holds " + n + " ranks, which matches none of the known encodings ("
                + String.join(", ", KNOWN.keySet()) + "); name it with the parameter encoding");
    }

    private static int countRanks(byte[][] ranks) {
        int n = 0;
        for (byte[] r : ranks) if (r != null) n++;
        return n;
    }

    /** Builds the vocabulary of {@code ranks} with the split pattern and special tokens of {@code e}. */
    static BpeVocabulary vocabulary(byte[][] ranks, Encoding e, Params params) {
        int size = ranks.length;
        for (int id : e.specials().values()) size = Math.max(size, id + 1);
        byte[][] tokenBytes = new byte[size][];
        BytesTable byBytes = new BytesTable(ranks.length);
        for (int r = 0; r < ranks.length; r++) {
            if (ranks[r] == null) continue;
            tokenBytes[r] = ranks[r];
            byBytes.putIfAbsent(ranks[r], r);
        }
        List<AddedTokens.Token> specials = new ArrayList<>();
        for (var s : e.specials().entrySet()) {
            if (s.getValue() < ranks.length && ranks[s.getValue()] != null) {
                throw new IllegalArgumentException("special token " + s.getKey() + " has id " + s.getValue()
                        + ", which the rank file gives to an ordinary token; is it the " + e.name() + " file?");
            }
            tokenBytes[s.getValue()] = s.getKey().getBytes(StandardCharsets.UTF_8);
            specials.add(new AddedTokens.Token(s.getValue(), s.getKey(), true, false, false, false, false));
        }
        int[] byteTokens = new int[256];
        for (int b = 0; b < 256; b++) {
            byteTokens[b] = byBytes.get(new byte[]{(byte) b}, 0, 1);
            if (byteTokens[b] < 0 && TokenizerJson.canOccurInUtf8(b)) {
                throw new IllegalArgumentException("the rank file has no token for byte 0x" + String.format("%02X", b));
            }
        }
        // tiktoken merges any two adjacent parts whose concatenation is a token, lowest rank first:
        // list every split of every token into two tokens, each with the rank of the whole.
        LongLongMap merges = new LongLongMap(ranks.length * 4);
        for (int r = 0; r < ranks.length; r++) {
            byte[] t = ranks[r];
            if (t == null || t.length < 2) continue;
            for (int k = 1; k < t.length; k++) {
                int left = byBytes.get(t, 0, k);
                if (left < 0) continue;
                int right = byBytes.get(t, k, t.length);
                if (right >= 0) merges.put(LongLongMap.pair(left, right), (long) r << 32 | r);
            }
        }
        PreTokenizer split = new PreTokenizer.Split(OnigRegex.compile(e.pattern()), e.pattern(), PreTokenizer.Behavior.REMOVED, true);
        return new BpeVocabulary("tiktoken", params, tokenBytes, new AddedTokens(specials, Normalizer.NONE), Normalizer.NONE,
                split, new BytePairEncoder(byteTokens, merges, byBytes), file -> write(ranks, file));
    }

    /** Writes the ranks in OpenAI's plain form: {@code base64-token rank} per line, by rank. */
    static void write(byte[][] ranks, Path file) throws IOException {
        StringBuilder sb = new StringBuilder(ranks.length * 16);
        Base64.Encoder b64 = Base64.getEncoder();
        for (int r = 0; r < ranks.length; r++) {
            if (ranks[r] != null) sb.append(b64.encodeToString(ranks[r])).append(' ').append(r).append('\n');
        }
        AtomicFiles.writeString(file, sb.toString());
    }
}
