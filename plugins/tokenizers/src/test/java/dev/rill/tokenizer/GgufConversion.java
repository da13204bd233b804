package dev.rill.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rill.gguf.GgufValueType;
import dev.rill.gguf.GgufWriter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * What llama.cpp's converter ({@code convert_hf_to_gguf.py}, byte-level BPE models) writes for a
 * Hugging Face tokenizer.json: tokens by id (ids without a token padded as unused), token types
 * (added special tokens control, other added tokens user-defined), merges as "left right", and the
 * pre-tokenizer's name. The GGUF vocabularies under test are read back from such files.
 */
final class GgufConversion {

    private GgufConversion() {
    }

    /** Writes the tokenizer of {@code tokenizerJson} as a tokenizer-only GGUF file with pre-tokenizer {@code pre}. */
    static Path write(Path tokenizerJson, String pre) throws IOException {
        JsonNode tj = Fixtures.JSON.readTree(tokenizerJson.toFile());
        JsonNode vocab = tj.get("model").get("vocab");
        int n = vocab.size();
        for (JsonNode a : tj.get("added_tokens")) n = Math.max(n, a.get("id").asInt() + 1);
        String[] tokens = new String[n];
        Integer[] types = new Integer[n];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            var e = it.next();
            tokens[e.getValue().asInt()] = e.getKey();
            types[e.getValue().asInt()] = GgufMetadata.NORMAL;
        }
        for (JsonNode a : tj.get("added_tokens")) {
            tokens[a.get("id").asInt()] = a.get("content").asText();
            types[a.get("id").asInt()] = a.get("special").asBoolean() ? GgufMetadata.CONTROL : GgufMetadata.USER_DEFINED;
        }
        for (int i = 0; i < n; i++) {
            if (tokens[i] == null) {
                tokens[i] = "[PAD" + i + "]";
                types[i] = GgufMetadata.UNUSED;
            }
        }
        List<String> merges = new ArrayList<>();
        for (JsonNode m : tj.get("model").get("merges")) merges.add(m.isArray() ? m.get(0).asText() + " " + m.get(1).asText() : m.asText());
        Path p = Files.createTempFile("rill-" + pre + "-", ".gguf");
        p.toFile().deleteOnExit();
        new GgufWriter().putString("general.architecture", "llama")
                .putString("tokenizer.ggml.model", "gpt2").putString("tokenizer.ggml.pre", pre)
                .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, Arrays.asList(tokens))
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, Arrays.asList(types))
                .putArray("tokenizer.ggml.merges", GgufValueType.STRING, merges)
                .write(p);
        return p;
    }
}
