package dev.rill.cli;

import dev.rill.console.Progress;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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

    @Mixin
    TokenizerOptions tokenizer = new TokenizerOptions("bpe");
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "UTF-8 text file to train on.")
    Path data;
    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Where to write the vocabulary "
            + "(a folder gets the tokenizer's own file name, e.g. tokenizer.json).")
    Path out;
    @Mixin
    PluginOptions plugins;

    @Override
    public Integer call() throws IOException {
        Tokenizer t = tokenizer.tokenizer(plugins.registry());
        if (!t.trainable()) throw new IllegalArgumentException("tokenizer '" + t.name() + "' is not trainable; it loads a vocabulary file");
        var params = t.params(tokenizer.given());
        String text;
        try {
            text = Files.readString(data);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(data + " is not UTF-8 text");
        }
        long start = System.nanoTime();
        Progress progress = Progress.console("training " + t.name());
        Vocabulary v = t.train(text, params, progress);
        progress.clear();
        double seconds = (System.nanoTime() - start) / 1e9;
        Path file = Files.isDirectory(out) ? out.resolve(t.fileName()) : out;
        v.save(file);
        System.out.printf(Locale.ROOT, "%s: %d tokens (%d special) from %,d characters in %.2f s; saved to %s%n", t.name(), v.size(),
                v.specialTokens().size(), text.length(), seconds, file);
        if (tokenizer.vocabSize != null && v.size() < tokenizer.vocabSize) {
            System.out.printf(Locale.ROOT, "note: the text ran out of pairs to merge before %d tokens%n", tokenizer.vocabSize);
        }
        return 0;
    }
}
