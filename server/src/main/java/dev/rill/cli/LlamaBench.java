package dev.rill.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs llama.cpp's {@code llama-bench} on a GGUF file, so that {@code rill bench model} can print
 * llama.cpp's figures beside its own, measured on the same machine in the same run.
 */
final class LlamaBench {

    private static final ObjectMapper JSON = new ObjectMapper();

    private LlamaBench() {
    }

    /** {@code {pp tok/s, tg tok/s}}, each the median of llama-bench's {@code repeat} samples. */
    static double[] run(Path exe, Path model, int prompt, int gen, int threads, int repeat) throws IOException {
        List<String> cmd = List.of(exe.toString(), "-m", model.toString(), "-p", String.valueOf(prompt), "-n", String.valueOf(gen),
                "-t", String.valueOf(threads), "-r", String.valueOf(repeat), "-o", "json");
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (p.waitFor() != 0) throw new IOException(String.join(" ", cmd) + " exited with " + p.exitValue());
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running llama-bench", e);
        }
        double pp = Double.NaN, tg = Double.NaN;
        for (JsonNode test : JSON.readTree(out)) {
            double median = median(test.path("samples_ts"));
            if (test.path("n_gen").asInt() == 0) pp = median;
            else if (test.path("n_prompt").asInt() == 0) tg = median;
        }
        if (Double.isNaN(pp) || Double.isNaN(tg)) throw new IOException("llama-bench printed no pp/tg results: " + out);
        return new double[]{pp, tg};
    }

    private static double median(JsonNode samples) {
        double[] v = new double[samples.size()];
        for (int i = 0; i < v.length; i++) v[i] = samples.get(i).asDouble();
        return v.length == 0 ? Double.NaN : BenchModelCommand.median(v);
    }
}
