package dev.rill.tokenizer;

import dev.rill.spi.StreamDecoder;
import dev.rill.spi.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tokens pushed one at a time give only whole characters, and the same text as decoding at once. */
class StreamDecoderTest {

    /** Sections 5 (CJK), 7 (emoji) and 8 (combining marks) of mixed.txt. */
    static String emojiAndCjk() {
        String text = Fixtures.mixedText();
        return text.substring(text.indexOf("5. Chinese"), text.indexOf("6. Arabic"))
                + text.substring(text.indexOf("7. Emoji"), text.indexOf("9. Other scripts"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2", "hf-llama3", "hf-qwen3", "tiktoken-cl100k", "tiktoken-o200k", "bpe-shakespeare"})
    void streamingEmitsWholeCharactersOnly(String name) {
        Vocabulary v = Fixtures.vocabulary(name);
        String text = emojiAndCjk();
        int[] ids = v.encode(text);
        StreamDecoder decoder = v.streamDecoder();
        StringBuilder out = new StringBuilder();
        int heldBack = 0;
        for (int id : ids) {
            String piece = decoder.push(id);
            assertFalse(piece.contains("\uFFFD"), () -> name + ": piece '" + piece + "' has U+FFFD");
            assertEquals(RoundTripPropertyTest.withoutLoneSurrogates(piece), piece, () -> name + ": piece has a broken surrogate pair");
            if (piece.isEmpty()) heldBack++;
            out.append(piece);
        }
        out.append(decoder.flush());
        assertEquals(v.decode(ids), out.toString());
        assertEquals(java.text.Normalizer.normalize(text, java.text.Normalizer.Form.NFC),
                java.text.Normalizer.normalize(out.toString(), java.text.Normalizer.Form.NFC));
        // Every one of these vocabularies splits some emoji or ideograph across tokens.
        assertTrue(heldBack > 0, name + ": no token ended inside a character, so nothing was tested");
    }

    /** Arbitrary token sequences (often not valid UTF-8): the pieces and the flush add up to decode(). */
    @ParameterizedTest
    @ValueSource(strings = {"hf-gpt2", "bpe-shakespeare", "tiktoken-cl100k"})
    void randomTokensStreamLikeTheyDecode(String name) {
        Vocabulary v = Fixtures.vocabulary(name);
        Random random = new Random(7);
        for (int k = 0; k < 2000; k++) {
            int[] ids = new int[random.nextInt(12)];
            for (int i = 0; i < ids.length; i++) {
                // Mostly single bytes (ids of the byte tokens), so that broken sequences are common.
                ids[i] = random.nextBoolean() ? byteToken(v, random.nextInt(256)) : random.nextInt(v.size());
            }
            StreamDecoder decoder = v.streamDecoder();
            StringBuilder out = new StringBuilder();
            for (int id : ids) out.append(decoder.push(id));
            out.append(decoder.flush());
            assertEquals(v.decode(ids), out.toString(), name + ": ids " + java.util.Arrays.toString(ids));
        }
    }

    @Test
    void invalidBytesBecomeReplacementCharactersAndBadIdsAreRefused() {
        Vocabulary v = Fixtures.vocabulary("bpe-shakespeare"); // ids 0..255 are the bytes themselves
        StreamDecoder d = v.streamDecoder();
        assertEquals("", d.push(0xE4));             // first byte of a three-byte character: held
        assertEquals("", d.push(0xBD));             // second byte: still held
        assertEquals("\u4F60", d.push(0xA0));       // 你 complete
        assertEquals("", d.push(0xF0));
        assertEquals("\uFFFDa", d.push('a'));       // the lead byte can no longer be completed
        assertEquals("\uFFFD", d.push(0xFF));       // never valid in UTF-8: emitted at once
        assertEquals("", d.push(0xE2));
        assertEquals("\uFFFD", d.flush());          // cut off at the end
        assertEquals("", d.flush());
        assertThrows(IllegalArgumentException.class, () -> v.streamDecoder().push(v.size()));
        assertThrows(IllegalArgumentException.class, () -> v.decode(new int[]{-1}));
    }

    private static int byteToken(Vocabulary v, int b) {
        int id = ((BpeVocabulary) v).byteToken(b);
        return id >= 0 ? id : 0;
    }
}
