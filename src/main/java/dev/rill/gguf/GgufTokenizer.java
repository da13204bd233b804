package dev.rill.gguf;

import dev.rill.spi.Params;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The {@code gguf} tokenizer: loads the vocabulary stored in a GGUF file's metadata (a model file,
 * or the tokenizer-only file {@link GgufVocabulary#save} writes).
 */
public final class GgufTokenizer implements Tokenizer {

    public static final String NAME = "gguf";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "the tokenizer in a GGUF file's metadata: byte-level BPE (gpt2) or SentencePiece BPE (llama)";
    }

    @Override
    public Vocabulary load(Path file, Params params) throws IOException {
        try (GgufFile f = GgufFile.open(file)) {
            return GgufVocabulary.from(f);
        }
    }

    @Override
    public String fileName() {
        return "tokenizer.gguf";
    }
}
