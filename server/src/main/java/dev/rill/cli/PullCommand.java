package dev.rill.cli;

import dev.rill.console.Progress;
import dev.rill.hub.Hub;
import dev.rill.hub.HubRef;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code rill pull OWNER/REPO[:QUANT] | OWNER/REPO/FILE.gguf}: downloads a GGUF model from the Hugging Face Hub into the cache. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Download a GGUF model from the Hugging Face Hub into the model cache (resumes an interrupted pull, checks SHA-256).",
                "HF_TOKEN: access token for gated or private repositories; HF_ENDPOINT: a mirror; RILL_MODELS: the cache folder."})
final class PullCommand implements Callable<Integer> {

    @Parameters(paramLabel = "MODEL", description = "OWNER/REPO (its Q4_K_M, else the next preferred quantization), OWNER/REPO:QUANT, or OWNER/REPO/FILE.gguf")
    String model;

    @Mixin
    HubOptions hub;

    @Override
    public Integer call() throws IOException {
        HubRef ref = HubRef.parse(model).orElseThrow(() -> new IllegalArgumentException("'" + model
                + "' is not a Hub model; write OWNER/REPO, OWNER/REPO:QUANT (e.g. Q4_K_M) or OWNER/REPO/FILE.gguf"));
        Hub h = new Hub(hub.settings());
        var cached = h.cached(ref);
        if (cached.isPresent()) {
            System.out.println("already in the cache: " + cached.get());
            return 0;
        }
        Bar bar = new Bar();
        Path file = h.pull(ref, bar);
        bar.clear();
        System.out.println(file);
        return 0;
    }

    /** The download on the shared progress bar (stderr): bytes, rate; the start and the check on stdout. */
    static final class Bar implements Hub.Progress {
        private Progress progress;
        private String name;
        private long total, resumed, startNanos;

        @Override
        public void started(String name, long total, long resumed) {
            this.name = name;
            this.total = total;
            this.resumed = resumed;
            this.startNanos = System.nanoTime();
            this.progress = Progress.console("pull");
            System.out.printf(Locale.ROOT, "pulling %s: %s%s%n", name, size(total), resumed > 0 ? ", resuming at " + size(resumed) : "");
        }

        @Override
        public void advanced(long done) {
            double seconds = (System.nanoTime() - startNanos) / 1e9;
            double rate = seconds > 0 ? (done - resumed) / seconds : 0;
            progress.update(total > 0 ? (double) done / total : 0, size(done) + " / " + size(total) + ", " + size((long) rate) + "/s");
        }

        @Override
        public void finished(String checked) {
            clear();
            System.out.println("pulled " + name + ": " + checked);
        }

        void clear() {
            if (progress != null) progress.clear();
        }

        static String size(long bytes) {
            if (bytes < 0) return "? B";
            if (bytes < 1_000) return bytes + " B";
            if (bytes < 1_000_000) return String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
            if (bytes < 1_000_000_000) return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
            return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
        }
    }
}
