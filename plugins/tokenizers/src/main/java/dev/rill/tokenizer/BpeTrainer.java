package dev.rill.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleConsumer;

/**
 * Trains a byte-level BPE vocabulary on text. The text is cut at special-token strings, split into
 * pre-tokens with the split pattern (merges never cross a pre-token), and equal pre-tokens are
 * counted once with their frequency. Starting from the 256 byte tokens, each step merges the most
 * frequent adjacent pair into a new token, until the vocabulary (bytes + merged tokens + special
 * tokens) reaches the requested size or no pair is left.
 * <p>
 * Pair counts are kept up to date incrementally: a merge visits only the words that contain the
 * pair (an index from pair to words) and adjusts the counts of the pairs next to each occurrence.
 * A max-heap with lazy deletion picks the next pair. Ties go to the pair seen first during
 * training: pairs present at the start are ordered by their first occurrence in the text, and a
 * pair a merge creates comes after all earlier pairs, in the order the merge met it. So training
 * is deterministic.
 * <p>
 * Ids: 0..255 are the bytes (id = byte value), then merged tokens in the order they were made,
 * then the special tokens.
 */
final class BpeTrainer {

    private final String pattern;
    private final List<String> specials;
    private final int vocabSize;

    // Words (distinct pre-tokens) as symbol arrays, with their frequencies.
    private int[][] words;
    private int[] wordLength;
    private long[] wordCount;

    // Pair statistics, indexed by pair number (= first-seen order).
    private final LongLongMap pairIndex = new LongLongMap(1 << 16);
    private int[] pairLeft = new int[1 << 16];
    private int[] pairRight = new int[1 << 16];
    private long[] pairCount = new long[1 << 16];
    private IntList[] pairWords = new IntList[1 << 16];
    private int pairs;

    /**
     * The share of the work that splitting the text into words takes, for progress reports: on Tiny
     * Shakespeare about 0.5 s of 0.7 s for 4096 tokens, 0.55 s of 1 s for 32,000.
     */
    static final double SPLITTING = 0.6;

    private final LongHeap heap = new LongHeap(1 << 16);
    private final IntList increased = new IntList(1024);

    /**
     * @param vocabSize the size of the vocabulary to make, special tokens included
     * @throws IllegalArgumentException when the size leaves no room above the 256 bytes and the specials
     */
    BpeTrainer(String pattern, List<String> specials, int vocabSize) {
        this.pattern = pattern;
        this.specials = List.copyOf(specials);
        if (vocabSize < 256 + specials.size()) {
            throw new IllegalArgumentException("vocab_size " + vocabSize + " is too small: byte-level BPE needs 256 byte tokens"
                    + (specials.isEmpty() ? "" : " plus " + specials.size() + " special tokens") + ", so at least " + (256 + specials.size()));
        }
        this.vocabSize = vocabSize;
    }

    /** Trains on {@code text}. */
    TokenizerJson.Model train(String text) {
        return train(text, done -> {
        });
    }

    /**
     * Trains on {@code text}, telling {@code progress} the fraction done: splitting the text into
     * words is the first {@link #SPLITTING} of the work, the merges the rest (by merges made).
     */
    TokenizerJson.Model train(String text, DoubleConsumer progress) {
        if (text == null || text.isEmpty()) throw new IllegalArgumentException("cannot train a BPE vocabulary on empty text");
        countWords(BpeVocabulary.replaceLoneSurrogates(text), progress);

        List<byte[]> tokens = new ArrayList<>(vocabSize);
        for (int b = 0; b < 256; b++) tokens.add(new byte[]{(byte) b});
        BytesTable byBytes = new BytesTable(vocabSize);
        for (int b = 0; b < 256; b++) byBytes.putIfAbsent(tokens.get(b), b);
        IntList mergeLeft = new IntList(vocabSize);
        IntList mergeRight = new IntList(vocabSize);
        IntList mergeResult = new IntList(vocabSize);
        LongLongMap merged = new LongLongMap(vocabSize);

        initPairs();
        int target = vocabSize - specials.size();
        int[] stamp = new int[words.length];
        int step = 0;
        while (tokens.size() < target && !heap.isEmpty()) {
            progress.accept(SPLITTING + (1 - SPLITTING) * (tokens.size() - 256) / Math.max(1, target - 256));
            long top = heap.pop();
            int p = (int) top;
            long count = -(top >> 32);
            if (pairCount[p] != count) { // stale entry: the pair's count changed since it was pushed
                if (pairCount[p] > 0) heap.push(key(pairCount[p], p));
                continue;
            }
            int a = pairLeft[p];
            int b = pairRight[p];
            byte[] bytes = concat(tokens.get(a), tokens.get(b));
            int n = byBytes.putIfAbsent(bytes, tokens.size());
            if (n == tokens.size()) tokens.add(bytes); // else: these bytes are a token already; reuse it
            if (merged.get(LongLongMap.pair(a, b)) == LongLongMap.MISSING) {
                merged.put(LongLongMap.pair(a, b), n);
                mergeLeft.add(a);
                mergeRight.add(b);
                mergeResult.add(n);
            }
            step++;
            increased.clear();
            IntList where = pairWords[p];
            int[] ws = where.toArray();
            Arrays.sort(ws);
            for (int w : ws) {
                if (stamp[w] == step) continue; // listed twice
                stamp[w] = step;
                mergeInWord(w, a, b, n);
            }
            pairCount[p] = 0;
            pairWords[p] = null;
            for (int k = 0; k < increased.size(); k++) {
                int q = increased.get(k);
                if (pairCount[q] > 0) heap.push(key(pairCount[q], q));
            }
        }
        progress.accept(1);
        return model(tokens, mergeLeft, mergeRight, mergeResult);
    }

    /** Heap key: the min-heap yields the highest count, then the lowest pair number. */
    private static long key(long count, int pair) {
        return -count << 32 | pair;
    }

    private void countWords(String text, DoubleConsumer progress) {
        Map<String, Integer> index = new HashMap<>();
        List<String> order = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        java.util.regex.Pattern split = OnigRegex.compile(pattern);
        long before = 0;
        for (String section : cutAtSpecials(text)) {
            java.util.regex.Matcher m = split.matcher(section);
            int last = 0, told = 0;
            while (true) {
                boolean found = m.find();
                if (found && m.start() - told >= 1 << 16) {
                    told = m.start();
                    progress.accept(SPLITTING * (before + told) / text.length());
                }
                int start = found ? m.start() : section.length();
                // Text the pattern does not match is a pre-token of its own (Isolated behavior).
                if (start > last) count(section.substring(last, start), index, order, counts);
                if (!found) break;
                if (m.end() > m.start()) count(section.substring(m.start(), m.end()), index, order, counts);
                last = m.end();
            }
            before += section.length();
        }
        words = new int[order.size()][];
        wordLength = new int[order.size()];
        wordCount = new long[order.size()];
        for (int w = 0; w < order.size(); w++) {
            byte[] bytes = order.get(w).getBytes(StandardCharsets.UTF_8);
            words[w] = new int[bytes.length];
            for (int i = 0; i < bytes.length; i++) words[w][i] = bytes[i] & 0xFF;
            wordLength[w] = bytes.length;
            wordCount[w] = counts.get(w);
        }
    }

    private static void count(String piece, Map<String, Integer> index, List<String> order, List<Long> counts) {
        Integer w = index.get(piece);
        if (w == null) {
            index.put(piece, order.size());
            order.add(piece);
            counts.add(1L);
        } else {
            counts.set(w, counts.get(w) + 1);
        }
    }

    /** The text between occurrences of special-token strings (which are not learned from). */
    private List<String> cutAtSpecials(String text) {
        List<String> sections = new ArrayList<>();
        int start = 0;
        while (true) {
            int next = -1;
            String found = null;
            for (String s : specials) {
                int at = text.indexOf(s, start);
                if (at >= 0 && (next < 0 || at < next || at == next && s.length() > found.length())) {
                    next = at;
                    found = s;
                }
            }
            if (next < 0) break;
            if (next > start) sections.add(text.substring(start, next));
            start = next + found.length();
        }
        if (start < text.length()) sections.add(text.substring(start));
        return sections;
    }

    private void initPairs() {
        for (int w = 0; w < words.length; w++) {
            int[] s = words[w];
            for (int i = 0; i + 1 < wordLength[w]; i++) add(s[i], s[i + 1], wordCount[w], w);
        }
        for (int p = 0; p < pairs; p++) heap.push(key(pairCount[p], p));
        increased.clear();
    }

    /** Adds {@code delta} to the count of pair (a, b), numbering it if it is new; records word w for increases. */
    private void add(int a, int b, long delta, int w) {
        long k = LongLongMap.pair(a, b);
        long found = pairIndex.get(k);
        int p;
        if (found == LongLongMap.MISSING) {
            if (delta <= 0) return;
            p = pairs++;
            if (p == pairLeft.length) growPairs();
            pairIndex.put(k, p);
            pairLeft[p] = a;
            pairRight[p] = b;
            pairWords[p] = new IntList(4);
        } else {
            p = (int) found;
        }
        pairCount[p] += delta;
        if (delta > 0) {
            IntList where = pairWords[p];
            if (where == null) pairWords[p] = where = new IntList(4); // a pair merged away earlier, met again
            if (where.size() == 0 || where.get(where.size() - 1) != w) where.add(w);
            increased.add(p);
        }
    }

    private void growPairs() {
        int n = pairLeft.length * 2;
        pairLeft = Arrays.copyOf(pairLeft, n);
        pairRight = Arrays.copyOf(pairRight, n);
        pairCount = Arrays.copyOf(pairCount, n);
        pairWords = Arrays.copyOf(pairWords, n);
    }

    /**
     * Replaces each occurrence of (a, b) in word w by n, left to right, and adjusts the counts of
     * the neighbouring pairs: (left, a) becomes (left, n) and (b, right) becomes (n, right).
     */
    private void mergeInWord(int w, int a, int b, int n) {
        int[] s = words[w];
        int len = wordLength[w];
        long c = wordCount[w];
        int j = 0;
        int i = 0;
        while (i < len) {
            if (i + 1 < len && s[i] == a && s[i + 1] == b) {
                if (j > 0) {
                    add(s[j - 1], a, -c, w);
                    add(s[j - 1], n, c, w);
                }
                if (i + 2 < len) {
                    add(b, s[i + 2], -c, w);
                    add(n, s[i + 2], c, w);
                }
                s[j++] = n;
                i += 2;
            } else {
                s[j++] = s[i++];
            }
        }
        wordLength[w] = j;
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] out = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }

    private TokenizerJson.Model model(List<byte[]> tokens, IntList mergeLeft, IntList mergeRight, IntList mergeResult) {
        String[] vocab = new String[tokens.size()];
        for (int id = 0; id < tokens.size(); id++) vocab[id] = ByteLevel.encode(tokens.get(id));
        List<AddedTokens.Token> added = new ArrayList<>();
        for (int k = 0; k < specials.size(); k++) {
            added.add(new AddedTokens.Token(tokens.size() + k, specials.get(k), true, false, false, false, false));
        }
        ObjectNode pre = TokenizerJson.JSON.createObjectNode().put("type", "Sequence");
        ObjectNode split = pre.putArray("pretokenizers").addObject().put("type", "Split");
        split.putObject("pattern").put("Regex", pattern);
        split.put("behavior", "Isolated").put("invert", false);
        ((com.fasterxml.jackson.databind.node.ArrayNode) pre.get("pretokenizers")).addObject().put("type", "ByteLevel")
                .put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
        JsonNode decoder = TokenizerJson.JSON.createObjectNode().put("type", "ByteLevel").put("add_prefix_space", true)
                .put("trim_offsets", true).put("use_regex", true);
        return new TokenizerJson.Model(vocab, mergeLeft.toArray(), mergeRight.toArray(), mergeResult.toArray(), false, null, added, null, pre, null, decoder);
    }
}
