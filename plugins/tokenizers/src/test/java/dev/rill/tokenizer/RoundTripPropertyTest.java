package dev.rill.tokenizer;

import dev.rill.spi.Vocabulary;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.text.Normalizer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * decode(encode(s)) gives s back for 10,000 random strings per vocabulary: every script, white
 * space of all kinds, emoji with joiners and modifiers, combining marks, special-token text, and
 * lone surrogates. A lone surrogate is not a character and has no UTF-8 form: it is encoded as
 * U+FFFD (as tiktoken and TextEncoder do), so the expected text has U+FFFD in its place. Qwen's
 * vocabulary normalizes to NFC (between added tokens), so there the text comes back canonically
 * equivalent: equal after NFC.
 */
class RoundTripPropertyTest {

    /** One vocabulary of each kind: trained, GPT-2's ByteLevel regex, ignore_merges, NFC, tiktoken. */
    static final String[] NAMES = {"bpe-shakespeare", "hf-gpt2", "hf-llama3", "hf-qwen3", "tiktoken-cl100k"};
    static final int STRINGS = 10_000;

    private static final String[] FRAGMENTS = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|eot_id|>", "<think>", "'s", "'LL",
            "\r\n", "\u200d", "\ufe0f", "\u20e3", "  ", "\t", "http://", "12345"};
    private static final int[][] RANGES = {
            {0x20, 0x7E}, {0x00, 0x1F}, {0x80, 0xFF}, {0x100, 0x24F}, {0x300, 0x36F}, {0x370, 0x3FF}, {0x400, 0x4FF},
            {0x590, 0x6FF}, {0x900, 0x97F}, {0xE00, 0xE7F}, {0x2000, 0x206F}, {0x3000, 0x30FF}, {0x4E00, 0x9FFF},
            {0xAC00, 0xD7A3}, {0xD800, 0xDFFF}, {0xE000, 0xF8FF}, {0xFE00, 0xFFFF}, {0x1F300, 0x1FAFF}, {0x1F3FB, 0x1F3FF},
            {0x10000, 0x10FFFF}};

    @ParameterizedTest
    @FieldSource("NAMES")
    void decodeOfEncodeGivesTheTextBack(String name) {
        Vocabulary v = Fixtures.vocabulary(name);
        boolean nfc = name.equals("hf-qwen3"); // its tokenizer.json normalizes to NFC
        Random random = new Random(20240229L + name.hashCode());
        for (int k = 0; k < STRINGS; k++) {
            String s = randomString(random);
            String expected = withoutLoneSurrogates(s);
            boolean allowSpecial = random.nextBoolean();
            int[] ids = v.encode(s, allowSpecial);
            for (int id : ids) assertTrue(id >= 0 && id < v.size(), "id " + id + " outside the vocabulary");
            String back = v.decode(ids);
            if (nfc) {
                expected = Normalizer.normalize(expected, Normalizer.Form.NFC);
                back = Normalizer.normalize(back, Normalizer.Form.NFC);
            }
            assertEquals(expected, back, () -> name + ": round trip of " + ReferenceAgreementTest.escape(s));
        }
    }

    static String randomString(Random random) {
        StringBuilder sb = new StringBuilder();
        int parts = random.nextInt(24);
        for (int p = 0; p < parts; p++) {
            if (random.nextInt(8) == 0) {
                sb.append(FRAGMENTS[random.nextInt(FRAGMENTS.length)]);
                continue;
            }
            int[] range = RANGES[random.nextInt(RANGES.length)];
            int run = 1 + random.nextInt(6);
            for (int i = 0; i < run; i++) {
                int cp = range[0] + random.nextInt(range[1] - range[0] + 1);
                if (cp >= 0xD800 && cp <= 0xDFFF) sb.append((char) cp); // a lone surrogate
                else sb.appendCodePoint(cp);
            }
        }
        return sb.toString();
    }

    /** Each unpaired surrogate replaced by U+FFFD (written independently of the code under test). */
    static String withoutLoneSurrogates(String s) {
        StringBuilder sb = new StringBuilder();
        s.codePoints().forEach(cp -> sb.appendCodePoint(cp >= 0xD800 && cp <= 0xDFFF ? 0xFFFD : cp));
        return sb.toString();
    }
}
