package dev.rill.tokenizer;

import dev.rill.spi.ParamSpec;
import dev.rill.spi.Params;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleConsumer;

/**
 * Byte-level BPE trained on the user's text ({@link BpeTrainer}). The base vocabulary is the 256
 * bytes, so every string round-trips exactly. Saved as a Hugging Face tokenizer.json (BPE model,
 * Split + ByteLevel pre-tokenizer, ByteLevel decoder), which Hugging Face's tokenizers,
 * Tokenizers.js and Rill's {@code hf} tokenizer load and encode identically.
 */
public final class BpeTokenizer implements Tokenizer {

    static final String DEFAULT_SPECIALS = "<|endoftext|>,<|im_start|>,<|im_end|>";
    private static final Map<String, String> SPLITS = splits();

    private static Map<String, String> splits() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("gpt4", SplitPatterns.GPT4);
        m.put("gpt4o", SplitPatterns.GPT4O);
        m.put("gpt2", SplitPatterns.GPT2);
        return m;
    }

    @Override
    public String name() {
        return "bpe";
    }

    @Override
    public String description() {
        return "byte-level BPE trained on your text, saved as a Hugging Face tokenizer.json";
    }

    @Override
    public List<ParamSpec> parameters() {
        return List.of(
                ParamSpec.integer("vocab_size", 4096, 256, 1 << 20,
                        "tokens in the vocabulary: 256 bytes + merges + special tokens"),
                ParamSpec.string("special_tokens", DEFAULT_SPECIALS,
                        "comma-separated special tokens, given the last ids; never learned from the text"),
                ParamSpec.choice("split", "gpt4", List.copyOf(SPLITS.keySet()),
                        "pre-tokenization pattern: gpt4 (cl100k, Llama 3), gpt4o (o200k) or gpt2"));
    }

    @Override
    public boolean trainable() {
        return true;
    }

    @Override
    public String fileName() {
        return "tokenizer.json";
    }

    @Override
    public Vocabulary train(String text, Params params) {
        return train(text, params, done -> {
        });
    }

    @Override
    public Vocabulary train(String text, Params params, DoubleConsumer progress) {
        List<String> specials = parseSpecials(params.getString("special_tokens"));
        TokenizerJson.Model model = new BpeTrainer(SPLITS.get(params.getString("split")), specials, params.getInt("vocab_size")).train(text, progress);
        return TokenizerJson.vocabulary(model, name(), params);
    }

    /** Loads a tokenizer.json that {@code bpe} wrote; its parameters are read back from the file. */
    @Override
    public Vocabulary load(Path file, Params params) throws IOException {
        TokenizerJson.Model model = TokenizerJson.read(file);
        String split = null;
        var pre = model.preTokenizer();
        var first = pre.path("pretokenizers").path(0);
        String regex = first.path("pattern").path("Regex").asText(null);
        for (var e : SPLITS.entrySet()) if (e.getValue().equals(regex)) split = e.getKey();
        if (split == null) {
            throw new IllegalArgumentException(file + " is not a tokenizer.json made by Rill's bpe (its split pattern is none of "
                    + String.join(", ", SPLITS.keySet()) + "); load it with the hf tokenizer");
        }
        List<String> specials = new ArrayList<>();
        for (AddedTokens.Token t : model.added()) if (t.special()) specials.add(t.content());
        Map<String, Object> given = new LinkedHashMap<>();
        given.put("vocab_size", model.size());
        given.put("special_tokens", String.join(",", specials));
        given.put("split", split);
        return TokenizerJson.vocabulary(model, name(), params(given));
    }

    static List<String> parseSpecials(String list) {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        if (list == null) return List.of();
        for (String s : list.split(",")) {
            String t = s.strip();
            if (t.isEmpty()) continue;
            if (!out.add(t)) throw new IllegalArgumentException("special token '" + t + "' is listed twice in special_tokens");
        }
        return List.copyOf(out);
    }
}
