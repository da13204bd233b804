package dev.rill.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rill bench positional} end to end on a tiny text: every encoding is trained, checkpointed,
 * loaded and evaluated, and the table reports what the runs produced (timings are printed, not checked).
 */
class BenchPositionalCommandTest {

    static final int C = 16, L = 1, T = 16;

    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    /** One table row as printed. */
    record Row(String label, long parameters, double valT, double vsBest, String val2T, double tokensPerSecond) {
    }

    static Run rill(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        CommandLine cli = Rill.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    /** Short "sentences" of a few words drawn at random: learnable in a few steps, never a copy of one window. */
    Path tinyText() throws IOException {
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran"};
        SplittableRandom random = new SplittableRandom(42);
        StringBuilder sb = new StringBuilder();
        while (sb.length() < 6000) {
            int n = 3 + random.nextInt(4);
            for (int i = 0; i < n; i++) sb.append(i == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
            sb.append(".\n");
        }
        Path file = tmp.resolve("tiny.txt");
        Files.writeString(file, sb.toString());
        return file;
    }

    /** The tiny model's options; {@code more} (option, value pairs) add to them or replace them. */
    static String[] args(Path data, String... more) {
        Map<String, String> options = new LinkedHashMap<>();
        String[] base = {"--data", data.toString(), "--n-layer", "" + L, "--n-head", "2", "--n-emb", "" + C, "-T", "" + T,
                "--batch", "8", "--lr", "1e-2", "--min-lr", "1e-3", "--warmup", "5", "--val-tokens", "400", "--eval-batches", "2"};
        for (String[] pairs : new String[][]{base, more}) {
            for (int i = 0; i < pairs.length; i += 2) options.put(pairs[i], pairs[i + 1]);
        }
        List<String> a = new ArrayList<>(List.of("bench", "positional"));
        options.forEach((k, v) -> a.addAll(List.of(k, v)));
        return a.toArray(String[]::new);
    }

    static List<Row> table(String out) {
        List<String> lines = out.lines().toList();
        int header = -1;
        for (int i = 0; i < lines.size(); i++) if (lines.get(i).startsWith("encoding ")) header = i;
        assertTrue(header >= 0, "no table in:\n" + out);
        assertTrue(lines.get(header).contains("val loss @T=" + T) && lines.get(header).contains("val loss @2T=" + 2 * T), lines.get(header));
        List<Row> rows = new ArrayList<>();
        for (String line : lines.subList(header + 1, lines.size())) {
            if (line.startsWith("losses in nats")) break;
            String[] f = line.trim().split("\\s+");
            assertEquals(7, f.length, line);
            rows.add(new Row(f[0], Long.parseLong(f[1].replace(",", "")), Double.parseDouble(f[2]), Double.parseDouble(f[3]), f[4],
                    Double.parseDouble(f[5].replace(",", ""))));
        }
        return rows;
    }

    @Test
    void trainsEveryEncodingAndTabulatesWhatTheRunsGave() throws IOException {
        Path data = tinyText();
        String text = Files.readString(data);
        Run run = rill(args(data, "--steps", "40", "--eval-interval", "20"));
        assertEquals(0, run.code(), run.err() + run.out());

        List<Row> rows = table(run.out());
        assertEquals(BenchPositionalCommand.DEFAULT_ENCODINGS, rows.stream().map(Row::label).toList());
        int V = (int) text.codePoints().distinct().count() + 1;          // char tokenizer: the characters + unknown
        long shared = (long) V * C + L * (12L * C * C + 13L * C) + 2L * C; // embedding, blocks, final LayerNorm
        double uniform = Math.log(V), unigram = unigramEntropy(text);
        double best = rows.stream().mapToDouble(Row::valT).min().orElseThrow();
        double worst = rows.stream().mapToDouble(Row::valT).max().orElseThrow();
        for (Row r : rows) {
            boolean learned = r.label().equals("learned");
            assertEquals(shared + (learned ? (long) T * C : 0), r.parameters(), r.label() + " parameters");
            // Trained, and using context: below the entropy of the text's character frequencies.
            assertTrue(r.valT() < unigram, r.label() + " val loss " + r.valT() + " vs unigram entropy " + unigram);
            assertEquals(r.valT() - best, r.vsBest(), 2e-4, r.label() + " gap to the best");
            if (learned) {
                assertEquals("n/a", r.val2T(), "learned positions stop at T");
            } else {
                double at2T = Double.parseDouble(r.val2T());
                assertTrue(at2T > 0 && at2T < uniform, r.label() + " val loss at 2T " + at2T);
            }
            assertTrue(r.tokensPerSecond() > 0, r.label());
        }
        Matcher spread = Pattern.compile("Spread at T: ([0-9.]+) nats; (.*)").matcher(run.out());
        assertTrue(spread.find(), run.out());
        assertEquals(worst - best, Double.parseDouble(spread.group(1)), 2e-4);
        assertEquals(worst - best <= 0.1, spread.group(2).startsWith("all within 0.1"), spread.group(2));
        // Progress lines come from the trainer's periodic validation, once per interval per encoding.
        assertEquals(2 * rows.size(), Pattern.compile("(?m)^  step (20|40)/40: train loss").matcher(run.out()).results().count());
        // The runs' checkpoints were temporary.
        try (var left = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertFalse(left.anyMatch(p -> p.getFileName().toString().startsWith("rill-bench-positional-")), "temporary runs left behind");
        }
    }

    @Test
    void encodingsTakeParametersAndTheSameEncodingTwice() throws IOException {
        Path data = tinyText();
        List<String> labels = List.of("rope:base=100:pairing=half", "rope", "sinusoidal:scale=1", "sinusoidal");
        Run run = rill(args(data, "--steps", "10", "--warmup", "0", "--encodings", String.join(",", labels)));
        assertEquals(0, run.code(), run.err() + run.out());
        List<Row> rows = table(run.out());
        assertEquals(labels, rows.stream().map(Row::label).toList());
        // The parameters reach the encoding: from the same initialisation, different models.
        assertTrue(rows.get(0).valT() != rows.get(1).valT(), "rope parameters had no effect:\n" + run.out());
        assertTrue(rows.get(2).valT() != rows.get(3).valT(), "sinusoidal scale had no effect:\n" + run.out());
    }

    /** −Σ p·ln p over the text's characters: the loss of a model that ignores context. */
    static double unigramEntropy(String text) {
        Map<Integer, Long> counts = new java.util.HashMap<>();
        text.codePoints().forEach(c -> counts.merge(c, 1L, Long::sum));
        double n = text.codePointCount(0, text.length()), h = 0;
        for (long c : counts.values()) h -= c / n * Math.log(c / n);
        return h;
    }

    @Test
    void badEncodingsAreRefusedBeforeAnyTraining() throws IOException {
        Path data = tinyText();
        Run run = rill(args(data, "--steps", "3", "--encodings", "rope,xpos"));
        assertEquals(1, run.code());
        assertTrue(run.err().contains("unknown positional encoding 'xpos'; available: alibi, learned, none, rope, sinusoidal"), run.err());
        assertFalse(run.out().contains("rope:"), "trained before checking every encoding:\n" + run.out());

        run = rill(args(data, "--steps", "3", "--encodings", "rope:theta=5"));
        assertEquals(1, run.code());
        assertTrue(run.err().contains("'rope' has no parameter 'theta'; accepted: base,"), run.err());

        run = rill(args(data, "--steps", "3", "--encodings", "learned,rope:base"));
        assertEquals(1, run.code());
        assertTrue(run.err().contains("expects key=value, got 'base'"), run.err());

        run = rill(args(data, "--steps", "3", "--encodings", "alibi,rope", "--n-emb", "14"));
        assertEquals(1, run.code());
        assertTrue(run.err().contains("head dimension must be even; got headDim 7"), run.err());
        assertFalse(run.out().contains("alibi:"), "trained before checking every encoding:\n" + run.out());
    }
}
