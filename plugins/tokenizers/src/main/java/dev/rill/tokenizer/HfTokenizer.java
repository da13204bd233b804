package dev.rill.tokenizer;

import dev.rill.spi.Params;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Loads a Hugging Face tokenizer.json with a byte-level BPE model: GPT-2, Llama 3, Qwen 2/3,
 * GPT-4o and others of those families ({@link TokenizerJson} lists what is supported). Token ids
 * agree with Tokenizers.js / Hugging Face's tokenizers for the text; the post-processor's BOS is
 * not added by {@code encode} (chat templates write it).
 */
public final class HfTokenizer implements Tokenizer {

    @Override
    public String name() {
        return "hf";
    }

    @Override
    public String description() {
        return "Hugging Face tokenizer.json with a byte-level BPE model (GPT-2, Llama 3, Qwen 2/3, GPT-4o)";
    }

    @Override
    public String fileName() {
        return "tokenizer.json";
    }

    @Override
    public Vocabulary load(Path file, Params params) throws IOException {
        return TokenizerJson.vocabulary(TokenizerJson.read(file), name(), params(null));
    }
}
