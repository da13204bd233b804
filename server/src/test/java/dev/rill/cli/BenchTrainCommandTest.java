package dev.rill.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.rill.cli.BenchPositionalCommandTest.rill;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rill bench train} on config S for one step: Rill's tokens/s, tokens per processor-second
 * and peak resident memory are printed; with {@code --pytorch} the reference runs with the same
 * config, threads and steps, and the ratios are Rill's figures over the ones it printed. PyTorch
 * is not installed in CI, so the "Python" here is a script that checks its arguments and prints
 * a line in the reference's format.
 */
class BenchTrainCommandTest {

    @TempDir
    Path tmp;

    private static String[] stdout(BenchPositionalCommandTest.Run[] run, String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            run[0] = rill(args);
            return new String[]{buf.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(saved);
        }
    }

    private Path executable(String name, String body) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    /**
     * {@code rill bench train OPTIONS} with the reference run by a "Python" that writes its arguments
     * to {@code args.txt} and prints a line in the reference's format; returns what was printed.
     */
    private String withFakeReference(BenchPositionalCommandTest.Run[] run, String... options) throws IOException {
        Path script = Files.writeString(tmp.resolve("reference.py"), "# stand-in\n");
        Path python = executable("python", """
                #!/bin/sh
                echo "$@" > '%s'
                echo "pytorch 2.13.0+cpu config S: 1,000 tokens/s (median of 1 steps, 2048.0 ms/step, 818,048 parameters, 1 threads), 2,000 tokens per processor-second, peak RSS 400 MiB"
                """.formatted(tmp.resolve("args.txt")));
        return stdout(run, concat(concat(new String[]{"bench", "train"}, options), "--pytorch", python.toString(), "--pytorch-script", script.toString()))[0];
    }

    @Test
    void printsRillsFiguresAndTheRatiosToThePyTorchReference() throws IOException {
        var run = new BenchPositionalCommandTest.Run[1];
        String out = withFakeReference(run, "--config", "S", "--steps", "1", "--warmup", "0", "--warmup-seconds", "0", "--no-decode", "--threads", "1");
        assertEquals(0, run[0].code(), run[0].err());
        assertEquals(tmp.resolve("reference.py") + " --threads 1 --steps 1 --warmup 0 --config S", Files.readString(tmp.resolve("args.txt")).trim());

        Matcher ours = Pattern.compile("config S .*: ([\\d,]+) tokens/s .*, ([\\d,]+) tokens per processor-second, peak heap \\d+ MiB, peak RSS ([\\d,]+) MiB").matcher(out);
        assertTrue(ours.find(), out);
        double tps = Double.parseDouble(ours.group(1).replace(",", "")), cps = Double.parseDouble(ours.group(2).replace(",", ""));
        double rss = Double.parseDouble(ours.group(3).replace(",", ""));
        assertTrue(tps > 0 && cps > 0 && rss > 50, out);
        Matcher ratio = Pattern.compile("Rill / PyTorch, config S, 1 thread: ([\\d.]+)× tokens/s, ([\\d.]+)× tokens per processor-second; "
                + "peak RSS ([\\d,]+) / 400 MiB \\(([\\d.]+)×\\); load").matcher(out);
        assertTrue(ratio.find(), out);
        // Rill's printed figures are rounded; the ratios are of the unrounded ones.
        assertEquals(tps / 1000, Double.parseDouble(ratio.group(1)), 0.01 * tps / 1000 + 0.006);
        assertEquals(cps / 2000, Double.parseDouble(ratio.group(2)), 0.01 * cps / 2000 + 0.006);
        assertEquals(rss / 400, Double.parseDouble(ratio.group(4)), 0.01 * rss / 400 + 0.006);
    }

    @Test
    void aFailingOrSilentReferenceOrAMissingScriptEndsWithOneLine() throws IOException {
        Path script = Files.writeString(tmp.resolve("reference.py"), "# stand-in\n");
        String[] common = {"bench", "train", "--config", "S", "--steps", "1", "--warmup", "0", "--warmup-seconds", "0", "--no-decode", "--threads", "1"};

        Path failing = executable("failing", "#!/bin/sh\necho 'ModuleNotFoundError: No module named torch'\nexit 1\n");
        var run = new BenchPositionalCommandTest.Run[1];
        stdout(run, concat(common, "--pytorch", failing.toString(), "--pytorch-script", script.toString()));
        assertEquals(1, run[0].code());
        assertTrue(run[0].err().contains("exited with 1: ModuleNotFoundError: No module named torch"), run[0].err());
        assertFalse(run[0].err().contains("\tat "), "one line, no stack trace: " + run[0].err());

        Path silent = executable("silent", "#!/bin/sh\necho hello\n");
        stdout(run, concat(common, "--pytorch", silent.toString(), "--pytorch-script", script.toString()));
        assertEquals(1, run[0].code());
        assertTrue(run[0].err().contains("printed no figures for config S: hello"), run[0].err());

        stdout(run, concat(common, "--pytorch", silent.toString(), "--pytorch-script", tmp.resolve("missing.py").toString()));
        assertEquals(1, run[0].code());
        assertTrue(run[0].err().contains("--pytorch-script " + tmp.resolve("missing.py") + " is not a file"), run[0].err());

        // A Python that is not there is refused before Rill's config runs.
        String out = stdout(run, concat(common, "--pytorch", tmp.resolve("no-python").toString(), "--pytorch-script", script.toString()))[0];
        assertEquals(1, run[0].code());
        assertTrue(run[0].err().contains("--pytorch " + tmp.resolve("no-python") + " is neither an executable file nor a command on the PATH"), run[0].err());
        assertFalse(out.contains("tokens/s"), out);

        stdout(run, "bench", "train", "--threads", "-1");
        assertEquals(1, run[0].code());
        assertTrue(run[0].err().contains("--threads must be >= 0"), run[0].err());
        for (String[] bad : new String[][]{{"--steps", "0", "--steps must be >= 1, got 0"}, {"--warmup", "-1", "--warmup must be >= 0, got -1"},
                {"--rounds", "0", "--rounds must be between 1 and 100, got 0"}, {"--rounds", "101", "--rounds must be between 1 and 100, got 101"},
                {"--warmup-seconds", "-1", "--warmup-seconds must be between 0 and 3600, got -1.0"},
                {"--warmup-seconds", "NaN", "--warmup-seconds must be between 0 and 3600, got NaN"}}) {
            out = stdout(run, "bench", "train", "--no-decode", bad[0], bad[1])[0];
            assertEquals(1, run[0].code(), bad[0]);
            assertTrue(run[0].err().contains(bad[2]), run[0].err());
            assertFalse(out.contains("tokens/s"), "refused before any step: " + out);
        }
    }

    @Test
    void warmUpLastsTheGivenSecondsAndPyTorchGetsAsManyWarmUpSteps() throws IOException {
        var run = new BenchPositionalCommandTest.Run[1];
        long t0 = System.nanoTime();
        String out = withFakeReference(run, "--config", "S", "--steps", "1", "--warmup", "1", "--warmup-seconds", "1.5", "--no-decode", "--threads", "1");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertEquals(0, run[0].code(), run[0].err());
        Matcher m = Pattern.compile("median of 1 steps after (\\d+) warm-up steps, ([\\d.]+) ms/step").matcher(out);
        assertTrue(m.find(), out);
        int warmed = Integer.parseInt(m.group(1));
        // At least --warmup steps, and as many as fill 1.5 s: the last one started before 1.5 s had passed.
        assertTrue(warmed >= 1 && seconds >= 1.5, warmed + " warm-up steps in a run of " + seconds + " s");
        assertTrue((warmed - 1) * Double.parseDouble(m.group(2)) / 1e3 < 1.5 * 3, "no more warm-up steps than fill the time (allowing slower early steps): " + out);
        assertEquals(tmp.resolve("reference.py") + " --threads 1 --steps 1 --warmup " + warmed + " --config S", Files.readString(tmp.resolve("args.txt")).trim());
    }

    @Test
    void roundsRunTheEnginesInTurnAndPrintEachRatioAndTheMedian() throws IOException {
        Path script = Files.writeString(tmp.resolve("reference.py"), "# stand-in\n");
        Path count = tmp.resolve("count");
        // A reference whose figure differs from call to call: 1,000, then 4,000, then 2,000 tokens/s.
        Path python = executable("python", """
                #!/bin/sh
                n=$(cat '%1$s' 2>/dev/null || echo 0); n=$((n + 1)); echo $n > '%1$s'
                case $n in 1) t=1,000;; 2) t=4,000;; *) t=2,000;; esac
                echo "pytorch 2.13.0+cpu config S: $t tokens/s (median of 1 steps, 1.0 ms/step, 818,048 parameters, 1 threads), $t tokens per processor-second, peak RSS 400 MiB"
                """.formatted(count));
        var run = new BenchPositionalCommandTest.Run[1];
        String out = stdout(run, "bench", "train", "--config", "S", "--steps", "1", "--warmup", "0", "--warmup-seconds", "0", "--no-decode",
                "--threads", "1", "--rounds", "3", "--pytorch", python.toString(), "--pytorch-script", script.toString())[0];
        assertEquals(0, run[0].code(), run[0].err());

        // Rill, then the reference, three times over: each engine's line comes before the other's next one.
        Matcher lines = Pattern.compile("config S(?: \\(nLayer.*?: ([\\d,]+) tokens/s|: ([\\d,]+) tokens/s)").matcher(out);
        StringBuilder order = new StringBuilder();
        double[] ours = new double[3], ref = {1000, 4000, 2000};
        int r = 0;
        while (lines.find()) {
            order.append(lines.group(1) != null ? 'R' : 'P');
            if (lines.group(1) != null) ours[r++] = Double.parseDouble(lines.group(1).replace(",", ""));
        }
        assertEquals("RPRPRP", order.toString(), out);
        double[] ratios = new double[3];
        for (int i = 0; i < 3; i++) {
            Matcher m = Pattern.compile("Rill / PyTorch, config S, 1 thread, round " + (i + 1) + " of 3: ([\\d.]+)× tokens/s").matcher(out);
            assertTrue(m.find(), out);
            ratios[i] = Double.parseDouble(m.group(1));
            assertEquals(ours[i] / ref[i], ratios[i], 0.01 * ours[i] / ref[i] + 0.006, "round " + (i + 1));
        }
        Matcher median = Pattern.compile("Rill / PyTorch, config S, 1 thread, median of 3 rounds: ([\\d.]+)× tokens/s \\(([\\d.]+), ([\\d.]+), ([\\d.]+)\\)").matcher(out);
        assertTrue(median.find(), out);
        for (int i = 0; i < 3; i++) assertEquals(ratios[i], Double.parseDouble(median.group(i + 2)), 1e-9);
        double[] sorted = ratios.clone();
        java.util.Arrays.sort(sorted);
        assertEquals(sorted[1], Double.parseDouble(median.group(1)), 0.006, out);
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
