package dev.rill.tokenizer;

import dev.rill.spi.Params;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link Vocabulary#tokenBytes}, what constrained sampling matches against its grammar: the bytes of
 * the tokens of an encoded text concatenate to the text's UTF-8 (multi-byte characters split across
 * tokens included), and special tokens are not text.
 */
class TokenBytesTest {

    static final String[] NAMES = {"bpe-shakespeare", "hf-gpt2", "hf-llama3", "hf-qwen3", "tiktoken-cl100k", "gguf-llama3", "gguf-qwen3"};
    static final String TEXT = "Hello, wörld! 日本語のテキスト 😀👍🏽 {\"k\": [1, 2.5]}\n\tend";

    @ParameterizedTest
    @FieldSource("NAMES")
    void tokenBytesOfAnEncodedTextAreItsUtf8(String name) {
        Vocabulary v = Fixtures.vocabulary(name);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : v.encode(TEXT)) out.writeBytes(v.tokenBytes(id));
        assertArrayEquals(TEXT.getBytes(StandardCharsets.UTF_8), out.toByteArray());
        for (int special : v.specialTokens().values()) assertNull(v.tokenBytes(special), "special token " + special);
        assertThrows(IllegalArgumentException.class, () -> v.tokenBytes(v.size()));
    }

    @Test
    void sentencePieceTokensAreTextBytesAndByteFallback(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        // A SentencePiece (tokenizer.ggml.model "llama") vocabulary: unknown, BOS, EOS, two byte-fallback
        // tokens that make é together, a word with the ▁ space marker, a user-defined and an unused token.
        java.util.List<String> tokens = java.util.List.of("<unk>", "<s>", "</s>", "<0xC3>", "<0xA9>", "\u2581Hello", "<tool_call>", "[PAD]");
        java.util.List<Integer> types = java.util.List.of(2, 3, 3, 6, 6, 1, 4, 5);
        Path file = tmp.resolve("sp.gguf");
        new dev.rill.gguf.GgufWriter().putString("general.architecture", "llama").putString("tokenizer.ggml.model", "llama")
                .putArray("tokenizer.ggml.tokens", dev.rill.gguf.GgufValueType.STRING, tokens)
                .putArray("tokenizer.ggml.token_type", dev.rill.gguf.GgufValueType.INT32, types)
                .putUInt32("tokenizer.ggml.bos_token_id", 1).putUInt32("tokenizer.ggml.eos_token_id", 2).write(file);
        Vocabulary v = Fixtures.tokenizer(GgufTokenizer.NAME).load(file, Params.EMPTY);
        assertNull(v.tokenBytes(0), "unknown");
        assertNull(v.tokenBytes(1), "BOS");
        assertNull(v.tokenBytes(2), "EOS");
        assertArrayEquals(new byte[]{(byte) 0xC3}, v.tokenBytes(3), "a byte-fallback token is its byte, half of é");
        assertArrayEquals(new byte[]{(byte) 0xA9}, v.tokenBytes(4));
        assertArrayEquals(" Hello".getBytes(StandardCharsets.UTF_8), v.tokenBytes(5), "▁ is a space");
        assertArrayEquals("<tool_call>".getBytes(StandardCharsets.UTF_8), v.tokenBytes(6), "a user-defined token is text");
        assertNull(v.tokenBytes(7), "unused");
    }

    @Test
    void charTokensAreTheirCharacters() {
        Tokenizer t = Fixtures.TOKENIZERS.get("char");
        Vocabulary v = t.train("aé日😀", Params.resolve(t, Map.of()));
        for (int id = 0; id < 4; id++) assertArrayEquals(v.piece(id).getBytes(StandardCharsets.UTF_8), v.tokenBytes(id));
        assertArrayEquals("\uFFFD".getBytes(StandardCharsets.UTF_8), v.tokenBytes(4), "the unknown token reads as U+FFFD");
    }
}
