package dev.rill.tokenizer;

import dev.rill.spi.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BpeTrainerTest {

    static final Path SHAKESPEARE = Path.of("../../data/tinyshakespeare.txt");
    final BpeTokenizer bpe = new BpeTokenizer();

    static String shakespeare() throws Exception {
        assertTrue(Files.isRegularFile(SHAKESPEARE), SHAKESPEARE.toAbsolutePath() + " is missing (the repository keeps it in data/)");
        return Files.readString(SHAKESPEARE);
    }

    /**
     * The incremental trainer picks the same merges as a plain one that recounts every pair of
     * every word before each merge (same pre-tokens, same first-seen tie rule).
     */
    @Test
    void incrementalCountsGiveTheMergesOfAFullRecount() throws Exception {
        String text = shakespeare().substring(0, 20_000) + Fixtures.mixedText();
        int vocabSize = 700;
        TokenizerJson.Model model = new BpeTrainer(SplitPatterns.GPT4, List.of(), vocabSize).train(text);
        List<int[]> naive = naiveMerges(text, vocabSize);
        assertEquals(naive.size(), model.mergeLeft().length, "number of merges");
        for (int r = 0; r < naive.size(); r++) {
            int[] expected = naive.get(r);
            int[] actual = {model.mergeLeft()[r], model.mergeRight()[r], model.mergeResult()[r]};
            assertArrayEquals(expected, actual, "merge " + r);
        }
    }

    /** The reference: recount all pairs before every merge. */
    private static List<int[]> naiveMerges(String text, int vocabSize) {
        Map<String, Long> wordCounts = new LinkedHashMap<>();
        Matcher m = OnigRegex.compile(SplitPatterns.GPT4).matcher(text);
        while (m.find()) wordCounts.merge(m.group(), 1L, Long::sum);
        List<List<Integer>> words = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        for (var e : wordCounts.entrySet()) {
            List<Integer> w = new ArrayList<>();
            for (byte b : e.getKey().getBytes(StandardCharsets.UTF_8)) w.add(b & 0xFF);
            words.add(w);
            counts.add(e.getValue());
        }
        List<String> tokens = new ArrayList<>(); // token bytes as ISO-8859-1 strings, to compare contents
        Map<String, Integer> byBytes = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf((char) b));
            byBytes.put(tokens.get(b), b);
        }
        Map<Long, Integer> firstSeen = new HashMap<>();
        List<int[]> merges = new ArrayList<>();
        while (tokens.size() < vocabSize) {
            Map<Long, Long> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<Integer> s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++) {
                    long key = LongLongMap.pair(s.get(i), s.get(i + 1));
                    firstSeen.putIfAbsent(key, firstSeen.size());
                    pairCounts.merge(key, counts.get(w), Long::sum);
                }
            }
            if (pairCounts.isEmpty()) break;
            long best = 0;
            long bestCount = -1;
            for (var e : pairCounts.entrySet()) {
                long c = e.getValue();
                if (c > bestCount || c == bestCount && firstSeen.get(e.getKey()) < firstSeen.get(best)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            int a = (int) (best >> 32);
            int b = (int) best;
            String merged = tokens.get(a) + tokens.get(b);
            Integer n = byBytes.get(merged);
            if (n == null) {
                n = tokens.size();
                tokens.add(merged);
                byBytes.put(merged, n);
            }
            merges.add(new int[]{a, b, n});
            for (List<Integer> s : words) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i) == a && s.get(i + 1) == b) {
                        s.set(i, n);
                        s.remove(i + 1);
                    }
                }
            }
        }
        return merges;
    }

    /**
     * Training is deterministic: tinyshakespeare to 1,024 tokens gives, byte for byte, the
     * tokenizer.json whose encoding Tokenizers.js checked (expected/bpe-shakespeare.json).
     */
    @Test
    void trainingIsDeterministicAndGivesTheCheckedFile(@TempDir Path dir) throws Exception {
        List<Double> progress = new ArrayList<>();
        Vocabulary v = bpe.train(shakespeare(), bpe.params(Map.of("vocab_size", 1024)), progress::add);
        assertEquals(1024, v.size());
        // Told as it goes: the splitting, then every merge, never backwards, ending at 1.
        assertTrue(progress.size() > 768, "told " + progress.size() + " times");
        for (int i = 1; i < progress.size(); i++) assertTrue(progress.get(i) >= progress.get(i - 1), progress.subList(i - 1, i + 1).toString());
        assertTrue(progress.stream().anyMatch(f -> f > 0 && f < BpeTrainer.SPLITTING), "the splitting is told too");
        assertEquals(1.0, progress.getLast());
        Path saved = dir.resolve("tokenizer.json");
        v.save(saved);
        String committed = Fixtures.resource("bpe-shakespeare-1024.json");
        assertEquals(committed, Files.readString(saved),
                "training changed: if that is intended, regenerate the fixtures (see src/test/node/generate-fixtures.mjs)");
    }

    @Test
    void specialTokensTakeTheLastIdsAndAreNeverLearned(@TempDir Path dir) throws Exception {
        String text = "hello world<|endoftext|>".repeat(200) + "<|im_start|>user hi<|im_end|>".repeat(50);
        Vocabulary v = bpe.train(text, bpe.params(Map.of("vocab_size", 300)));
        int n = v.size(); // the text runs out of pairs before 300
        assertEquals(Map.of("<|endoftext|>", n - 3, "<|im_start|>", n - 2, "<|im_end|>", n - 1), v.specialTokens());
        for (int id = 256; id < n - 3; id++) {
            String piece = v.piece(id);
            assertFalse(piece.contains("<") || piece.contains("|"), "token " + id + " '" + piece + "' was learned from a special token");
        }
        int[] plain = v.encode("a<|endoftext|>b");
        assertTrue(Arrays.stream(plain).noneMatch(id -> id >= n - 3), "special token text is plain text by default");
        assertArrayEquals(new int[]{'a', n - 3, 'b'}, v.encode("a<|endoftext|>b", true));
        assertEquals(java.util.Set.of(n - 3, n - 1), v.endTokens());
        assertEquals("a<|endoftext|>b", v.decode(plain));
    }

    @Test
    void savedVocabularyLoadsBackWithItsParametersAndAlsoAsHf(@TempDir Path dir) throws Exception {
        String text = Fixtures.mixedText();
        Vocabulary v = bpe.train(text, bpe.params(Map.of("vocab_size", 600, "special_tokens", "<|endoftext|>", "split", "gpt4o")));
        Path file = dir.resolve(bpe.fileName());
        v.save(file);
        Vocabulary back = bpe.load(file, null);
        assertEquals("bpe", back.tokenizer());
        assertEquals(Map.of("vocab_size", 600, "special_tokens", "<|endoftext|>", "split", "gpt4o"), back.params().asMap());
        Vocabulary asHf = new HfTokenizer().load(file, null);
        assertArrayEquals(v.encode(text, true), back.encode(text, true));
        assertArrayEquals(v.encode(text, true), asHf.encode(text, true));
        assertEquals(text, back.decode(back.encode(text)));
    }

    @Test
    void stopsEarlyWhenNoPairIsLeft() {
        Vocabulary v = bpe.train("abab", bpe.params(Map.of("vocab_size", 4096)));
        // Merges: (a, b) → "ab", then (ab, ab) → "abab"; then nothing is left to merge.
        assertEquals(256 + 2 + 3, v.size());
        assertArrayEquals(new int[]{257}, v.encode("abab"));
    }
}
