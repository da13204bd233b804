package dev.rill.model;

import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A small Rill checkpoint with a byte-level BPE vocabulary (every byte is a token, so it can write any
 * text: JSON, tool calls) and an end-of-text token, randomly initialised, written once per test JVM
 * under target/. What it writes is noise, unless a grammar holds it to a form. Context 256.
 */
public final class TinyBpeModel {

    public static final String NAME = "tiny-bpe";
    public static final int T = 256;
    private static final String TEXT = """
            {"name": "Ada", "age": 36, "tags": ["math", "poetry"], "ok": true, "none": null, "pi": 3.14}
            The weather in Paris is mild; in Oslo it is cold. Call get_weather with {"city": "Paris"}.
            """;
    private static Path checkpoint;

    private TinyBpeModel() {
    }

    public static synchronized Path checkpoint() {
        if (checkpoint != null) return checkpoint;
        try {
            Tokenizer bpe = TinyModel.REGISTRY.get(Tokenizer.class, "bpe");
            Vocabulary vocabulary = bpe.train(TEXT, bpe.params(Map.of("vocab_size", 300, "special_tokens", "<|endoftext|>")));
            GptConfig config = new GptConfig(vocabulary.size(), T, 2, 4, 64, T, "learned", Map.of());
            PositionalEncoding pe = TinyModel.REGISTRY.get(PositionalEncoding.class, "learned");
            Gpt gpt = new Gpt(config, pe.create(Gpt.shape(config), pe.params(Map.of())));
            gpt.initialize(4321);
            Path dir = Path.of("target", "test-models", NAME).toAbsolutePath();
            Checkpoint.save(dir, gpt, vocabulary, bpe.fileName(), null);
            checkpoint = dir;
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
