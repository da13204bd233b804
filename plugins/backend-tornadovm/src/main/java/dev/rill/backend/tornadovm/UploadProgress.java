package dev.rill.backend.tornadovm;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;
import java.util.logging.Logger;

/**
 * Progress of a model's upload to the device, chunk by chunk: a bar redrawn in place on a
 * terminal, otherwise a log line every tenth of the way.
 */
final class UploadProgress {

    private static final Logger LOG = Logger.getLogger(UploadProgress.class.getName());
    private static final int WIDTH = 30;

    private final String target;
    private final long total;
    private final long t0 = System.nanoTime();
    private final PrintStream terminal;
    private long done;
    private int lastTenth = -1;

    UploadProgress(String target, long total) {
        this.target = target;
        this.total = Math.max(total, 1);
        Console console = System.console();
        this.terminal = console != null && console.isTerminal() ? System.err : null;
    }

    /** {@code bytes} more are on the device, the last of them {@code what}. */
    void advance(long bytes, String what) {
        done += bytes;
        int percent = (int) Math.min(100, 100 * done / total);
        int filled = percent * WIDTH / 100;
        String line = String.format(Locale.ROOT, "tornadovm: uploading to %s [%s%s] %3d%% %,.1f/%,.1f MiB, %s, %.1f s",
                target, "#".repeat(filled), "-".repeat(WIDTH - filled), percent, done / 1048576.0, total / 1048576.0, what,
                (System.nanoTime() - t0) / 1e9);
        if (terminal != null) {
            terminal.print("\r" + line + (done >= total ? System.lineSeparator() : ""));
            terminal.flush();
        } else if (percent / 10 != lastTenth || done >= total) {
            lastTenth = percent / 10;
            LOG.info(line);
        }
    }
}
