package dev.rill.tokenizer;

import dev.rill.spi.Params;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
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

    static final String[] NAMES = {"bpe-shakespeare", "hf-gpt2", "hf-llama3", "hf-qwen3", "tiktoken-cl100k"};
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
    void charTokensAreTheirCharacters() {
        Tokenizer t = Fixtures.TOKENIZERS.get("char");
        Vocabulary v = t.train("aé日😀", Params.resolve(t, Map.of()));
        for (int id = 0; id < 4; id++) assertArrayEquals(v.piece(id).getBytes(StandardCharsets.UTF_8), v.tokenBytes(id));
        assertArrayEquals("\uFFFD".getBytes(StandardCharsets.UTF_8), v.tokenBytes(4), "the unknown token reads as U+FFFD");
    }
}
