package dev.rill.cli;

import dev.rill.plugin.PluginRegistry;
import dev.rill.spi.Tokenizer;
import dev.rill.spi.Vocabulary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code rill tokenize}: the token ids and pieces a tokenizer gives for a text, or just how many. */
@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Show the token ids and pieces a tokenizer gives for a text (or only their count).")
final class TokenizeCommand implements Callable<Integer> {

    // Not TokenizerOptions: here the tokenizer is required and nothing is trained (no --vocab-size).
    @Option(names = "--tokenizer", required = true, paramLabel = "NAME", description = TokenizerOptions.NAME)
    String tokenizer;
    @Option(names = "--file", paramLabel = "FILE", description = "Its vocabulary file (tokenizer.json, a .tiktoken rank file, ...), "
            + "or a checkpoint folder holding it (required).")
    Path file;
    @Option(names = "--text", paramLabel = "TEXT", description = "The text (default: read standard input).")
    String text;
    @Option(names = "--count", description = "Print only the number of tokens.")
    boolean count;
    @Option(names = "--allow-special", description = "Turn special-token text such as <|endoftext|> into its token "
            + "(default: encode it as plain text).")
    boolean allowSpecial;
    @Option(names = "--tokenizer-param", paramLabel = "K=V", description = TokenizerOptions.PARAM)
    List<String> tokenizerParams;
    @Mixin
    PluginOptions plugins;

    @Override
    public Integer call() throws IOException {
        Vocabulary vocabulary = load(plugins.registry(), tokenizer, file, tokenizerParams);
        String input = text != null ? text : new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        int[] ids = vocabulary.encode(input, allowSpecial);
        if (count) {
            System.out.println(ids.length);
            return 0;
        }
        StringBuilder out = new StringBuilder();
        for (int id : ids) out.append(String.format("%8d  %s%n", id, quote(vocabulary.piece(id))));
        out.append(String.format("%d tokens, %d characters, %d bytes%n", ids.length, input.codePointCount(0, input.length()),
                input.getBytes(StandardCharsets.UTF_8).length));
        System.out.print(out);
        return 0;
    }

    /** Loads a vocabulary file (or the one in a checkpoint folder) with the named tokenizer. */
    static Vocabulary load(PluginRegistry registry, String name, Path file, List<String> params) throws IOException {
        Tokenizer t = registry.get(Tokenizer.class, name);
        if (file == null) {
            throw new IllegalArgumentException("tokenizer '" + name + "' needs --file: its vocabulary file (" + t.fileName()
                    + (t.trainable() ? ", made by `rill tokenizer train` or `rill train`" : "") + ")");
        }
        Path f = Files.isDirectory(file) ? file.resolve(t.fileName()) : file;
        return t.load(f, t.params(KeyValues.parse(params, "--tokenizer-param")));
    }

    /** A piece in single quotes, with line breaks, tabs and other control characters escaped. */
    static String quote(String piece) {
        StringBuilder sb = new StringBuilder("'");
        piece.codePoints().forEach(cp -> {
            switch (cp) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (Character.isISOControl(cp) || cp == 0x2028 || cp == 0x2029) sb.append(String.format("\\u%04X", cp));
                    else sb.appendCodePoint(cp);
                }
            }
        });
        return sb.append('\'').toString();
    }
}
