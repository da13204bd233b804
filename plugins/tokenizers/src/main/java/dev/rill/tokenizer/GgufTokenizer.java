package dev.rill.tokenizer;

import dev.rill.gguf.GgufFile;
import dev.rill.spi.ModelFile;
import dev.rill.spi.Params;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

/**
 * The {@code gguf} tokenizer: the vocabulary stored in a GGUF file's metadata (a model file, or the
 * tokenizer-only file its vocabularies save), byte-level BPE ({@code gpt2}) or SentencePiece BPE
 * ({@code llama}); see {@link GgufMetadata}. A model loader finds it by those kinds.
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
            return fromModelFile(f);
        }
    }

    @Override
    public String fileName() {
        return "tokenizer.gguf";
    }

    @Override
    public Set<String> modelFileTokenizers() {
        return GgufMetadata.MODELS;
    }

    @Override
    public Vocabulary fromModelFile(ModelFile file) {
        return GgufMetadata.read(file).vocabulary();
    }
}
