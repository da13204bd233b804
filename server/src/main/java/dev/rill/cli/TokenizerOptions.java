package dev.rill.cli;

import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.Tokenizer;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Map;

/**
 * {@code --tokenizer}, {@code --vocab-size} and {@code --tokenizer-param}, for the commands that
 * fit a tokenizer on a text. Each command constructs it with its own default tokenizer.
 */
final class TokenizerOptions {

    static final String NAME = "Tokenizer plugin: char, bpe, hf, tiktoken or a plugin's (`rill plugins` lists them with their parameters).";
    static final String PARAM = "A tokenizer parameter (repeatable), e.g. special_tokens=<|endoftext|> for bpe, encoding=cl100k_base for tiktoken.";

    @Option(names = "--tokenizer", paramLabel = "NAME", description = NAME)
    String name;
    @Option(names = "--vocab-size", paramLabel = "N",
            description = "Vocabulary size, special tokens included, for tokenizers that take one (default: the tokenizer's; bpe: 4096).")
    Integer vocabSize;
    @Option(names = "--tokenizer-param", paramLabel = "K=V", description = PARAM)
    List<String> params;

    /** For picocli only; commands give their default. */
    TokenizerOptions() {
    }

    TokenizerOptions(String defaultName) {
        this.name = defaultName;
    }

    /** The given parameters, with --vocab-size as {@code vocab_size}. */
    Map<String, Object> given() {
        Map<String, Object> given = KeyValues.parse(params, "--tokenizer-param");
        if (vocabSize != null) given.put("vocab_size", vocabSize);
        return given;
    }

    Tokenizer tokenizer(PluginRegistry registry) {
        return registry.get(Tokenizer.class, name);
    }
}
