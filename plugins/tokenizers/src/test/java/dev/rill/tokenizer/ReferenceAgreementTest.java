package dev.rill.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rill.spi.Vocabulary;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.text.Normalizer;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Token ids identical to the reference implementations (Tokenizers.js for tokenizer.json files,
 * tiktoken for rank files) on mixed.txt and on edge cases, with special tokens recognized and
 * read as plain text; and decoding gives the text back. The GGUF vocabularies ({@code gguf-*}: the
 * same tokenizer.json files as GGUF metadata) run through the same byte-level BPE and must give the
 * same ids as Tokenizers.js gave for their tokenizer.json.
 */
class ReferenceAgreementTest {

    static final String[] NAMES = Fixtures.NAMES;

    @ParameterizedTest
    @FieldSource("NAMES")
    void idsEqualTheReference(String name) {
        JsonNode expected = Fixtures.expected(name);
        Vocabulary v = Fixtures.vocabulary(name);
        String text = Fixtures.mixedText();

        assertSameIds(name + " mixed.txt, special tokens allowed", Fixtures.ids(expected.get("special")), v.encode(text, true), v);

        String start = expected.get("plainSection").get(0).asText();
        String end = expected.get("plainSection").get(1).asText();
        String section = text.substring(text.indexOf(start), text.indexOf(end));
        assertSameIds(name + " special-token section as plain text", Fixtures.ids(expected.get("plain")), v.encode(section), v);

        for (JsonNode c : expected.get("cases")) {
            String s = c.get("text").asText();
            assertSameIds(name + " case " + escape(s) + ", special tokens allowed", Fixtures.ids(c.get("special")), v.encode(s, true), v);
            assertSameIds(name + " case " + escape(s) + ", plain", Fixtures.ids(c.get("plain")), v.encode(s, false), v);
        }
    }

    @ParameterizedTest
    @FieldSource("NAMES")
    void decodingGivesTheTextBack(String name) {
        Vocabulary v = Fixtures.vocabulary(name);
        String text = Fixtures.mixedText();
        // Qwen's tokenizer.json normalizes to NFC first, so its round trip gives the NFC form.
        String back = name.endsWith("-qwen3") ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
        assertEquals(back, v.decode(v.encode(text, true)));
        assertEquals(back, v.decode(v.encode(text, false)));
        assertEquals(back, v.decode(Fixtures.ids(Fixtures.expected(name).get("special"))));
    }

    /** Fails at the first differing id, showing the tokens around it. */
    static void assertSameIds(String what, int[] expected, int[] actual, Vocabulary v) {
        if (Arrays.equals(expected, actual)) return;
        int i = 0;
        while (i < Math.min(expected.length, actual.length) && expected[i] == actual[i]) i++;
        fail(what + ": ids differ at position " + i + " of " + expected.length + " expected / " + actual.length + " actual\n"
                + "  expected ..." + around(expected, i, v) + "\n  actual   ..." + around(actual, i, v));
    }

    private static String around(int[] ids, int i, Vocabulary v) {
        StringBuilder sb = new StringBuilder();
        for (int k = Math.max(0, i - 3); k < Math.min(ids.length, i + 6); k++) {
            sb.append(k == i ? " >>" : " ").append(ids[k]).append('[').append(escape(v.piece(ids[k]))).append(']');
        }
        return sb.toString();
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        if (s.length() > 60) s = s.substring(0, 60) + "…";
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == 0x85 || c == 0xFEFF || c >= 0x2028 && c <= 0x2029 || Character.isSurrogate(c)) {
                sb.append(String.format("\\u%04X", (int) c));
            } else {
                sb.append(c);
            }
        }
        return '"' + sb.toString() + '"';
    }
}
