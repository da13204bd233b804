package dev.rill.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs llama.cpp's {@code llama-bench} on a GGUF file, so that {@code rill bench model} can print
 * llama.cpp's figures beside its own, measured on the same machine in the same run.
 */
final class LlamaBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LlamaBench() {
    }

    /** llama-bench's medians: prompt processing tok/s per prompt length, and decode tok/s. */
    record Result(Map<Integer, Double> pp, double tg) {

        double pp(int prompt) {
            Double v = pp.get(prompt);
            if (v == null) throw new IllegalStateException("llama-bench reported no pp" + prompt);
            return v;
        }
    }

    /**
     * Runs {@code llama-bench -p P1,P2.. -n gen -d depth -t threads -r repeat} on {@code model} (no
     * {@code -d} for depth 0, so older builds without it still run); each figure is the median of its samples.
     */
    static Result run(Path exe, Path model, int[] prompts, int gen, int depth, int threads, int repeat) throws IOException {
        String p = java.util.Arrays.stream(prompts).mapToObj(String::valueOf).collect(java.util.stream.Collectors.joining(","));
        List<String> cmd = new java.util.ArrayList<>(List.of(exe.toString(), "-m", model.toString(), "-p", p, "-n", String.valueOf(gen),
                "-t", String.valueOf(threads), "-r", String.valueOf(repeat), "-o", "json"));
        if (depth > 0) cmd.addAll(List.of("-d", String.valueOf(depth)));
        Process proc = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (proc.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " exited with " + proc.exitValue());
        } catch (InterruptedException e) {
            proc.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running llama-bench", e);
        }
        Map<Integer, Double> pp = new TreeMap<>();
        double tg = Double.NaN;
        for (JsonNode test : JSON.readTree(out)) {
            double median = median(test.path("samples_ts"));
            if (test.path("n_gen").asInt() == 0) pp.put(test.path("n_prompt").asInt(), median);
            else if (test.path("n_prompt").asInt() == 0) tg = median;
        }
        for (int n : prompts) if (!pp.containsKey(n)) tg = Double.NaN;
        if (Double.isNaN(tg)) throw new IOException("llama-bench printed no pp/tg results for -p " + p + " -n " + gen + (depth > 0 ? " -d " + depth : "") + ": " + out);
        return new Result(pp, tg);
    }

    /**
     * Processor seconds llama-bench spends on one run of one test on one thread ({@code -p prompt
     * -n gen}, one of them 0): the CPU time of an invocation with {@code repeat + 1} runs minus that
     * of one with a single run, over {@code repeat}, so that loading, warm-up and the first run
     * cancel out. Read through bash's {@code times} (the children's user + system time). On a
     * loaded machine this is what a run costs, however much of the wall time it waited.
     */
    static double cpuSecondsPerRun(Path exe, Path model, int prompt, int gen, int repeat) throws IOException {
        return (childCpuSeconds(exe, model, prompt, gen, repeat + 1) - childCpuSeconds(exe, model, prompt, gen, 1)) / repeat;
    }

    private static double childCpuSeconds(Path exe, Path model, int prompt, int gen, int runs) throws IOException {
        List<String> cmd = List.of("bash", "-c", "\"$@\" >/dev/null 2>&1 || exit 3; times", "bash", exe.toString(), "-m", model.toString(),
                "-p", String.valueOf(prompt), "-n", String.valueOf(gen), "-t", "1", "-r", String.valueOf(runs), "-o", "json");
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (proc.waitFor() != 0) throw new IOException(exe + " -p " + prompt + " -n " + gen + " -t 1 -r " + runs + " failed");
        } catch (InterruptedException e) {
            proc.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running llama-bench", e);
        }
        // times prints the shell's then the children's user and system time: "0m1.950s 0m0.100s".
        String[] lines = out.strip().split("\n");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)m([\\d.]+)s\\s+(\\d+)m([\\d.]+)s").matcher(lines[lines.length - 1]);
        if (!m.find()) throw new IOException("could not read llama-bench's processor time from: " + out);
        return 60 * Double.parseDouble(m.group(1)) + Double.parseDouble(m.group(2)) + 60 * Double.parseDouble(m.group(3)) + Double.parseDouble(m.group(4));
    }

    private static double median(JsonNode samples) {
        double[] v = new double[samples.size()];
        for (int i = 0; i < v.length; i++) v[i] = samples.get(i).asDouble();
        return v.length == 0 ? Double.NaN : BenchModelCommand.median(v);
    }
}
