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
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.rill.cli.BenchPositionalCommandTest.rill;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code rill bench model} end to end on a tiny synthetic Q4_0 model: the file is written, loaded and
 * measured; with {@code --llama-bench} the llama.cpp figures come from the program named, and the
 * ratios printed are Rill's figures over those. llama.cpp is not built in CI, so that program is a
 * script printing a real llama-bench JSON report (taken from llama-bench on this very shape); a
 * llama-bench that fails or reports nothing ends the command with one clear line.
 */
class BenchModelCommandTest {

    @TempDir
    Path tmp;

    record Out(BenchPositionalCommandTest.Run run, String stdout) {
    }

    /** Runs the command; its table goes to System.out, which is captured here. */
    private static Out bench(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            var run = rill(args);
            return new Out(run, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(saved);
        }
    }

    private static final String[] TINY = {"--create", "Q4_0", "--shape", "64,1,2,128,300", "--threads", "1", "--prompt-tokens", "8", "--tokens", "4", "--repeat", "1"};

    private String[] args(Path model, String... more) {
        String[] a = new String[3 + TINY.length + more.length];
        a[0] = "bench";
        a[1] = "model";
        a[2] = "--model=" + model;
        System.arraycopy(TINY, 0, a, 3, TINY.length);
        System.arraycopy(more, 0, a, 3 + TINY.length, more.length);
        return a;
    }

    /** A stand-in llama-bench that writes its arguments to {@code argsSeen} and prints the fixture's JSON report. */
    private Path recordingLlamaBench(Path argsSeen) throws IOException {
        Path fixture = Path.of("src/test/resources/llama-bench/tiny-q4_0.json").toAbsolutePath();
        Path script = tmp.resolve("llama-bench");
        Files.writeString(script, "#!/bin/sh\necho \"$@\" > '" + argsSeen + "'\ncat '" + fixture + "'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    @Test
    void theMedianOfAnEvenCountIsTheMeanOfTheTwoMiddleValues() {
        assertEquals(2.0, BenchModelCommand.median(new double[]{3, 1, 2}));
        assertEquals(2.5, BenchModelCommand.median(new double[]{4, 1}));
        assertEquals(2.5, BenchModelCommand.median(new double[]{10, 1, 3, 2}));
        assertEquals(7.0, BenchModelCommand.median(new double[]{7}));
    }

    @Test
    void createsMeasuresAndComparesWithLlamaBench() throws IOException {
        Path argsSeen = tmp.resolve("args.txt");
        Path script = recordingLlamaBench(argsSeen);
        Path model = tmp.resolve("tiny.gguf");

        Out out = bench(args(model, "--llama-bench", script.toString()));
        assertEquals(0, out.run().code(), out.run().err());
        assertTrue(Files.size(model) > 0);
        assertTrue(out.stdout().contains("llama Q4_0, 0.1M parameters"), out.stdout());
        assertEquals("-m " + model + " -p 8 -n 4 -t 1 -r 1 -o json", Files.readString(argsSeen).trim());

        Matcher ours = Pattern.compile("(?m)^1\\s+([\\d.]+)\\s+([\\d.]+)\\s").matcher(out.stdout());
        assertTrue(ours.find(), out.stdout());
        double pp = Double.parseDouble(ours.group(1)), tg = Double.parseDouble(ours.group(2));
        assertTrue(pp > 0 && tg > 0, out.stdout());
        // The fixture's pp samples are 56619.1, 87134.6 and 90409.8: the median is printed.
        Matcher ref = Pattern.compile("(?m)^llama\\.cpp\\s+([\\d.]+)\\s+([\\d.]+)").matcher(out.stdout());
        assertTrue(ref.find(), out.stdout());
        assertEquals(87134.6, Double.parseDouble(ref.group(1)), 0.05);
        double refTg = Double.parseDouble(ref.group(2));
        assertTrue(out.stdout().contains(String.format(Locale.ROOT, "Rill / llama.cpp, 1 thread: pp8 %.2f×, tg4 %.2f× llama.cpp (load ", pp / 87134.6, tg / refTg)),
                out.stdout());
        // The load average is printed beside each engine's figures.
        assertTrue(Pattern.compile("(?m)^1\\s.*\\s\\d+\\.\\d\\d$").matcher(out.stdout()).find(), out.stdout());
    }

    /**
     * {@code --rounds 3}: llama-bench runs once per round, each round prints both engines' figures and
     * its ratios, and the thread count closes with the median ratio of the rounds and their range.
     */
    @Test
    void roundsAlternateTheEnginesAndEndWithTheMedianRatio() throws IOException {
        Path calls = tmp.resolve("calls.txt");
        Path fixture = Path.of("src/test/resources/llama-bench/tiny-q4_0.json").toAbsolutePath();
        Path script = tmp.resolve("counting-llama-bench");
        Files.writeString(script, "#!/bin/sh\necho run >> '" + calls + "'\ncat '" + fixture + "'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        Out out = bench(args(tmp.resolve("tiny.gguf"), "--llama-bench", script.toString(), "--rounds", "3"));
        assertEquals(0, out.run().code(), out.run().err());
        assertEquals(3, Files.readAllLines(calls).size(), "llama-bench once a round");
        assertEquals(3, Pattern.compile("(?m)^llama\\.cpp\\s").matcher(out.stdout()).results().count(), out.stdout());
        double[][] r = new double[2][3];
        for (int k = 0; k < 3; k++) {
            Matcher m = Pattern.compile("Rill / llama\\.cpp, 1 thread, round " + (k + 1) + ": pp8 ([\\d.]+)×, tg4 ([\\d.]+)× llama\\.cpp \\(load ")
                    .matcher(out.stdout());
            assertTrue(m.find(), "round " + (k + 1) + ": " + out.stdout());
            r[0][k] = Double.parseDouble(m.group(1));
            r[1][k] = Double.parseDouble(m.group(2));
        }
        java.util.Arrays.sort(r[0]);
        java.util.Arrays.sort(r[1]);
        String median = String.format(Locale.ROOT, "Rill / llama.cpp, 1 thread, median of 3 rounds (range): pp8 %.2f× (%.2f–%.2f), tg4 %.2f× (%.2f–%.2f)",
                r[0][1], r[0][0], r[0][2], r[1][1], r[1][0], r[1][2]);
        assertTrue(out.stdout().contains(median), median + " in " + out.stdout());

        var alone = bench(args(tmp.resolve("tiny.gguf"), "--rounds", "2")).run();
        assertEquals(1, alone.code());
        assertTrue(alone.err().contains("--rounds 2 alternates Rill with llama.cpp: it needs --llama-bench PATH"), alone.err());
        var none = bench(args(tmp.resolve("tiny.gguf"), "--llama-bench", script.toString(), "--rounds", "0")).run();
        assertEquals(1, none.code());
        assertTrue(none.err().contains("--rounds must be >= 1 (got 0)"), none.err());
    }

    /** {@code --depth}: runs start from a filled context, llama-bench is asked for the same depth, and the labels say so. */
    @Test
    void measuresDeepInTheContextAsLlamaBenchDoes() throws IOException {
        Path argsSeen = tmp.resolve("args.txt");
        Path script = recordingLlamaBench(argsSeen);
        Path model = tmp.resolve("tiny.gguf");

        Out out = bench(args(model, "--depth", "100", "--llama-bench", script.toString()));
        assertEquals(0, out.run().code(), out.run().err());
        assertEquals("-m " + model + " -p 8 -n 4 -t 1 -r 1 -o json -d 100", Files.readString(argsSeen).trim());
        assertTrue(out.stdout().contains("pp8@d100 tok/s") && out.stdout().contains("tg4@d100 tok/s"), out.stdout());
        Matcher ours = Pattern.compile("(?m)^1\\s+([\\d.]+)\\s+([\\d.]+)\\s").matcher(out.stdout());
        assertTrue(ours.find(), out.stdout());
        assertTrue(Double.parseDouble(ours.group(1)) > 0 && Double.parseDouble(ours.group(2)) > 0, out.stdout());
        assertTrue(out.stdout().contains("Rill / llama.cpp, 1 thread: pp8@d100 "), out.stdout());
        assertTrue(out.stdout().contains(" tg4@d100 "), out.stdout());

        // The synthetic model holds 8,192 positions: a depth past them is refused before anything is measured.
        Out deep = bench(args(model, "--depth", "8180"));
        assertEquals(1, deep.run().code());
        assertTrue(deep.run().err().contains("--depth 8180 + the longest --prompt-tokens 8 + --tokens 4 need 8193 positions; tiny.gguf holds 8192"), deep.run().err());
        assertFalse(deep.stdout().contains("tok/s"), "no table started: " + deep.stdout());
        var negative = bench(args(model, "--depth", "-1")).run();
        assertEquals(1, negative.code());
        assertTrue(negative.err().contains("--depth must be >= 0 tokens (got -1)"), negative.err());
        var cpuTime = bench(args(model, "--depth", "8", "--cpu-time", "--llama-bench", script.toString())).run();
        assertEquals(1, cpuTime.code());
        assertTrue(cpuTime.err().contains("--cpu-time compares runs from an empty context"), cpuTime.err());
    }

    /**
     * {@code --cpu-time}: llama.cpp's processor time per run is the difference between a run with
     * R+1 repeats and one with 1, over R, here from a stand-in that burns processor time in
     * proportion to the runs it is asked for.
     */
    @Test
    void comparesProcessorTimeOnOneThread() throws IOException {
        Path fixture = Path.of("src/test/resources/llama-bench/tiny-q4_0.json").toAbsolutePath();
        Path script = tmp.resolve("llama-bench");
        Files.writeString(script, """
                #!/bin/bash
                runs=1; while [ $# -gt 0 ]; do [ "$1" = -r ] && runs=$2; shift; done
                i=0; while [ $i -lt $((runs * 20000)) ]; do i=$((i + 1)); done
                cat '%s'
                """.formatted(fixture));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        Out out = bench(args(tmp.resolve("tiny.gguf"), "--llama-bench", script.toString(), "--cpu-time"));
        assertEquals(0, out.run().code(), out.run().err());
        Matcher m = Pattern.compile("1 thread, per second of processor time: Rill pp8 ([\\d.]+), tg4 ([\\d.]+) tok/s; "
                + "llama.cpp pp8 ([\\d.]+), tg4 ([\\d.]+) tok/s; ratio pp8 ([\\d.]+)×, tg4 ([\\d.]+)×").matcher(out.stdout());
        assertTrue(m.find(), out.stdout());
        for (int g = 1; g <= 6; g++) assertTrue(Double.parseDouble(m.group(g)) > 0, out.stdout());
        assertEquals(Double.parseDouble(m.group(1)) / Double.parseDouble(m.group(3)), Double.parseDouble(m.group(5)), 0.01 * Double.parseDouble(m.group(5)) + 0.005);
    }

    /** The Q4_K_M mix (Q6_K output and ffn_down, Q4_K elsewhere) with grouped-query attention, measured at two prompt lengths. */
    @Test
    void createsTheQ4KMMixWithGroupedQueryAttention() throws IOException {
        Path model = tmp.resolve("mix.gguf");
        Out out = bench("bench", "model", "--model=" + model, "--create", "q4_k_m", "--shape", "256,1,4,2,256,300",
                "--threads", "1", "--prompt-tokens", "4,8", "--tokens", "2", "--repeat", "1");
        assertEquals(0, out.run().code(), out.run().err());
        try (var f = dev.rill.gguf.GgufFile.open(model)) {
            assertEquals(dev.rill.spi.Tensor.DType.Q6_K, f.tensor("output.weight").type());
            assertEquals(dev.rill.spi.Tensor.DType.Q6_K, f.tensor("blk.0.ffn_down.weight").type());
            assertEquals(dev.rill.spi.Tensor.DType.Q4_K, f.tensor("blk.0.attn_q.weight").type());
            assertEquals(dev.rill.spi.Tensor.DType.Q4_K, f.tensor("token_embd.weight").type());
            assertEquals(128, f.tensor("blk.0.attn_k.weight").rows(), "2 of 4 heads' keys");
            assertEquals(128, f.tensor("blk.0.attn_v.weight").rows());
        }
        assertTrue(out.stdout().contains("pp4 tok/s") && out.stdout().contains("pp8 tok/s"), out.stdout());
        assertTrue(Pattern.compile("(?m)^1(\\s+[\\d.]+){3}\\s").matcher(out.stdout()).find(), out.stdout());
    }

    @Test
    void groupedQueryAttentionShapesAreWritten() throws IOException {
        Path model = tmp.resolve("gqa.gguf");
        String[] a = args(model);
        for (int i = 0; i < a.length; i++) if (a[i].equals("64,1,2,128,300")) a[i] = "64,1,4,2,128,300";
        Out out = bench(a);
        assertEquals(0, out.run().code(), out.run().err());
        try (var f = dev.rill.gguf.GgufFile.open(model)) {
            assertEquals(2, f.getInt("llama.attention.head_count_kv", 1));
            assertEquals(32, f.info("blk.0.attn_k.weight").dims()[1], "k maps 64 inputs to 2 heads of 16");
        }
        var bad = bench("bench", "model", "--model", tmp.resolve("bad.gguf").toString(), "--create", "Q8_0", "--shape", "64,1,4,3,128,300").run();
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("DIM a multiple of HEADS, HEADS of KV_HEADS"), bad.err());
    }

    @Test
    void anotherBackendMustExist() throws IOException {
        Path model = tmp.resolve("m.gguf");
        var unknown = bench(args(model, "--backend", "nosuch")).run();
        assertEquals(1, unknown.code());
        assertTrue(unknown.err().contains("unknown compute backend 'nosuch'; available: cpu"), unknown.err());
        assertFalse(unknown.err().contains("\tat "), unknown.err());
        var check = bench(args(model, "--check", "-1")).run();
        assertEquals(1, check.code());
        assertTrue(check.err().contains("--check must be >= 0"), check.err());
    }

    @Test
    void badOptionsAreRefusedNamingThem() throws IOException {
        Path model = tmp.resolve("m.gguf");
        var gen = bench("bench", "model", "--model", model.toString(), "--tokens", "0").run();
        assertEquals(1, gen.code());
        assertTrue(gen.err().contains("--prompt-tokens, --tokens, --repeat and --batch must be >= 1"), gen.err());
        var shape = bench("bench", "model", "--model", model.toString(), "--create", "Q4_0", "--shape", "64,1,3,128,300").run();
        assertEquals(1, shape.code());
        assertTrue(shape.err().contains("--shape needs DIM,LAYERS,HEADS,[KV_HEADS,]HIDDEN,VOCAB"), shape.err());
        var type = bench("bench", "model", "--model", model.toString(), "--create", "Q3_K").run();
        assertEquals(1, type.code());
        assertTrue(type.err().contains("--create Q3_K: not a weight type"), type.err());
        assertFalse(Files.exists(model), "nothing written for bad options");

        Path failing = tmp.resolve("failing-llama-bench");
        Files.writeString(failing, "#!/bin/sh\nexit 3\n");
        Files.setPosixFilePermissions(failing, PosixFilePermissions.fromString("rwx------"));
        var fails = bench(args(model, "--llama-bench", failing.toString())).run();
        assertEquals(1, fails.code());
        assertTrue(fails.err().contains(failing + " -m " + model + " -p 8 -n 4 -t 1 -r 1 -o json exited with 3"), fails.err());
        assertFalse(fails.err().contains("\tat "), "one line, no stack trace: " + fails.err());

        Path silent = tmp.resolve("silent-llama-bench");
        Files.writeString(silent, "#!/bin/sh\necho '[]'\n");
        Files.setPosixFilePermissions(silent, PosixFilePermissions.fromString("rwx------"));
        var empty = bench(args(model, "--llama-bench", silent.toString())).run();
        assertEquals(1, empty.code());
        assertTrue(empty.err().contains("llama-bench printed no pp/tg results"), empty.err());

        Path notExe = Files.writeString(tmp.resolve("not-a-program"), "");
        var lb = bench(args(model, "--llama-bench", notExe.toString())).run();
        assertEquals(1, lb.code());
        assertTrue(lb.err().contains("--llama-bench " + notExe + " is not an executable file"), lb.err());
    }
}
