package dev.rill.model;

import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.ComputeBackend;
import dev.rill.spi.ForwardPass;
import dev.rill.spi.Params;
import dev.rill.spi.PositionalEncoding;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A small Rill checkpoint made for the tests (written once per test JVM under target/): a GPT with
 * learned positions and a char vocabulary that includes multi-byte characters (é, 世, 😀), randomly
 * initialised, so that its tokens are spread over the whole vocabulary. Context T = 128.
 */
public final class TinyModel {

    public static final String NAME = "tiny";
    public static final int T = 128;
    /** The vocabulary's text: ASCII letters and punctuation plus characters of 2, 3 and 4 UTF-8 bytes. */
    public static final String TEXT = """
            First Citizen:
            Before we proceed any further, hear me speak.

            ALL:
            Speak, speak! What say you? "Yes; no" - (maybe) 'so' 0123456789
            ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz
            Héllo wörld, naïve café, ¿qué? 世界你好 😀🎉🚀
            """;
    public static final PluginRegistry REGISTRY = PluginRegistry.load();

    private static Path checkpoint;

    private TinyModel() {
    }

    /** The checkpoint folder, written on first use. */
    public static synchronized Path checkpoint() {
        if (checkpoint != null) return checkpoint;
        try {
            Tokenizer tokenizer = REGISTRY.get(Tokenizer.class, "char");
            Vocabulary vocabulary = tokenizer.train(TEXT, Params.EMPTY);
            GptConfig config = new GptConfig(vocabulary.size(), T, 2, 4, 64, T, "learned", Map.of());
            PositionalEncoding pe = REGISTRY.get(PositionalEncoding.class, "learned");
            Gpt gpt = new Gpt(config, pe.create(Gpt.shape(config), pe.params(Map.of())));
            gpt.initialize(1234);
            Path dir = Path.of("target", "test-models", NAME).toAbsolutePath();
            Checkpoint.save(dir, gpt, vocabulary, tokenizer.fileName(), null);
            checkpoint = dir;
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The model loaded independently of the server, for reference generations. */
    public static LoadedModel load() {
        try {
            return Models.load(checkpoint().toString(), NAME, REGISTRY);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ForwardPass prepare(LoadedModel model) {
        ComputeBackend cpu = REGISTRY.get(ComputeBackend.class, "cpu");
        return cpu.prepare(model.weights(), cpu.params(Map.of()));
    }
}
