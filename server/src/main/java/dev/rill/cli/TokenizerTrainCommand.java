package dev.rill.cli;

import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code rill tokenizer train}: fits a trainable tokenizer (bpe, char) on a text file and saves its vocabulary. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a tokenizer vocabulary (e.g. byte-level BPE) on a UTF-8 text file and save it.")
final class TokenizerTrainCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", defaultValue = "bpe", paramLabel = "NAME", description = "Trainable tokenizer plugin (default: ${DEFAULT-VALUE}).")
    String tokenizer;
    @Option(names = "--vocab-size", paramLabel = "N", description = "Vocabulary size, special tokens included (bpe default: 4096).")
    Integer vocabSize;
    @Option(names = "--input", required = true, paramLabel = "FILE", description = "UTF-8 text to train on.")
    Path input;
    @Option(names = "--output", required = true, paramLabel = "FILE", description = "Where to write the vocabulary "
            + "(a folder gets the tokenizer's own file name, e.g. tokenizer.json).")
    Path output;
    @Option(names = "--tokenizer-param", paramLabel = "K=V", description = "A tokenizer parameter, e.g. special_tokens=<|endoftext|> (repeatable).")
    List<String> tokenizerParams;
    @Option(names = "--plugins", paramLabel = "DIR", description = "Also load plugin jars from this folder.")
    Path pluginDir;

    @Override
    public Integer call() throws IOException {
        Tokenizer t = PluginRegistry.load(pluginDir).get(Tokenizer.class, tokenizer);
        if (!t.trainable()) throw new IllegalArgumentException("tokenizer '" + tokenizer + "' is not trainable; it loads a vocabulary file");
        Map<String, Object> given = KeyValues.parse(tokenizerParams, "--tokenizer-param");
        if (vocabSize != null) given.put("vocab_size", vocabSize);
        var params = t.params(given);
        String text;
        try {
            text = Files.readString(input);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(input + " is not UTF-8 text");
        }
        long start = System.nanoTime();
        Vocabulary v = t.train(text, params);
        double seconds = (System.nanoTime() - start) / 1e9;
        Path file = Files.isDirectory(output) ? output.resolve(t.fileName()) : output;
        v.save(file);
        System.out.printf(Locale.ROOT, "%s: %d tokens (%d special) from %,d characters in %.2f s; saved to %s%n", tokenizer, v.size(),
                v.specialTokens().size(), text.length(), seconds, file);
        if (vocabSize != null && v.size() < vocabSize) {
            System.out.printf(Locale.ROOT, "note: the text ran out of pairs to merge before %d tokens%n", vocabSize);
        }
        return 0;
    }
}
