package dev.rill.tokenizer;

import dev.rill.spi.Vocabulary;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Saving and loading vocabularies, the service listing, and what a vocabulary tells about itself. */
class VocabularyFilesTest {

    @Test
    void theProvidersAreRegistered() {
        assertEquals(List.of("bpe", "char", "gguf", "hf", "tiktoken"), List.copyOf(Fixtures.TOKENIZERS.keySet()));
        assertTrue(Fixtures.tokenizer("bpe").trainable());
    }

    @Test
    void tiktokenSavesAPlainRankFileThatLoadsTheSame(@TempDir Path dir) throws Exception {
        Vocabulary fromJson = Fixtures.vocabulary("tiktoken-cl100k");
        Path file = dir.resolve("tokenizer.tiktoken");
        fromJson.save(file);
        assertTrue(Files.readString(file).startsWith("IQ== 0\nIg== 1\n"), "OpenAI's format: base64 token, space, rank");
        TiktokenTokenizer t = new TiktokenTokenizer();
        Vocabulary back = t.load(file, fromJson.params()); // the checkpoint's way: the file and the recorded parameters
        assertEquals(Map.of("encoding", "cl100k_base"), back.params().asMap());
        String text = Fixtures.mixedText();
        assertArrayEquals(fromJson.encode(text, true), back.encode(text, true));
        // Without parameters, a plain rank file is recognized by its name, or else by its number of ranks.
        Path renamed = Files.copy(file, dir.resolve("cl100k_base.tiktoken"));
        assertEquals(Map.of("encoding", "cl100k_base"), t.load(renamed, null).params().asMap());
        assertEquals(Map.of("encoding", "cl100k_base"), t.load(file, null).params().asMap());
    }

    @Test
    void hfSavesATokenizerJsonThatLoadsTheSame(@TempDir Path dir) throws Exception {
        Vocabulary qwen = Fixtures.vocabulary("hf-qwen3"); // NFC normalizer, pair merges, non-special added tokens
        Path file = dir.resolve("tokenizer.json");
        qwen.save(file);
        Vocabulary back = new HfTokenizer().load(file, null);
        String text = Fixtures.mixedText();
        assertArrayEquals(qwen.encode(text, true), back.encode(text, true));
        assertArrayEquals(qwen.encode(text), back.encode(text));
        assertEquals(qwen.size(), back.size());
    }

    @Test
    void specialAndEndTokens() {
        Vocabulary llama = Fixtures.vocabulary("hf-llama3");
        assertEquals(128256, llama.size());
        assertEquals(128000, llama.specialTokens().get("<|begin_of_text|>"));
        assertEquals(Set.of(128001, 128009), llama.endTokens()); // end_of_text, eot_id (this is Llama 3, before eom_id)
        Vocabulary qwen = Fixtures.vocabulary("hf-qwen3");
        assertEquals(Set.of(151643, 151645), qwen.endTokens());         // <|endoftext|>, <|im_end|>
        assertTrue(!qwen.specialTokens().containsKey("<think>"), "<think> is an added token, but not a special one");
        assertArrayEquals(new int[]{151667}, qwen.encode("<think>"), "non-special added tokens are always matched");
        Vocabulary gpt4o = Fixtures.vocabulary("hf-gpt4o");
        assertEquals(200019, gpt4o.size());                               // ids 200000..200017 are unused
        assertEquals("", gpt4o.decode(new int[]{200005}));
    }

    @Test
    void piecesShowTextOrEscapedBytes() {
        Vocabulary gpt2 = Fixtures.vocabulary("hf-gpt2");
        int[] ids = gpt2.encode(" hello 😀");
        assertEquals(" hello", gpt2.piece(ids[0]));
        StringBuilder joined = new StringBuilder();
        for (int k = 1; k < ids.length; k++) joined.append(gpt2.piece(ids[k]));
        assertEquals(" <0xF0><0x9F><0x98><0x80>", joined.toString());
        assertEquals("<|endoftext|>", gpt2.piece(50256));
    }
}
