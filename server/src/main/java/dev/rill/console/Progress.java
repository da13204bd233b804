package dev.rill.console;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.function.DoubleConsumer;

/**
 * How far long work has come, for every command that does some (training, evaluation, loading a
 * model, training a tokenizer, benchmarks; the server's model loading): on a terminal a bar redrawn
 * in place on stderr, at most five times a second; in a log (not a terminal) a plain line now and
 * then: after every 2% of the work, and no closer together than a given number of seconds (so quick
 * work prints nothing). Lines of the command's own go through {@link #println} so that they do not
 * collide with the bar.
 */
public final class Progress implements DoubleConsumer {

    private static final int WIDTH = 24;
    private static final long REDRAW_NANOS = 200_000_000L;

    private final String label;
    private final boolean bar;
    private final PrintStream terminal;
    private final Consumer<String> log;
    private final long logGapNanos;
    private final long start = System.nanoTime();
    private long lastDraw;
    private int drawnLength;
    private double lastLogged;
    private boolean loggedAny;
    private long lastLogAt;

    /**
     * @param label       what is being done, e.g. "eval" or "loading model.gguf"; "" for none
     * @param bar         draw a bar in place (a terminal) instead of writing log lines
     * @param terminal    where the bar is drawn
     * @param log         where log lines go
     * @param logGapSeconds the least time between two log lines (the last one always comes)
     */
    public Progress(String label, boolean bar, PrintStream terminal, Consumer<String> log, double logGapSeconds) {
        this.label = label;
        this.bar = bar;
        this.terminal = terminal;
        this.log = log;
        this.logGapNanos = (long) (logGapSeconds * 1e9);
        this.lastLogAt = start;   // quick work stays quiet: the first line comes after one gap
    }

    /** For a command on the console: a bar when stderr's console is a terminal, else lines on stderr, at least 2 s apart. */
    public static Progress console(String label) {
        return new Progress(label, onTerminal(), System.err, System.err::println, 2);
    }

    /** Whether this process writes to a terminal (else to a log or a pipe). */
    public static boolean onTerminal() {
        return System.console() != null && System.console().isTerminal();
    }

    /** Fraction done, 0 to 1, without details. */
    @Override
    public void accept(double fraction) {
        update(fraction, "");
    }

    /** {@code done} of {@code total} (shown as such), with {@code detail} after the bar (may be empty). */
    public void update(long done, long total, String detail) {
        show(total <= 0 ? 1 : (double) done / total, done + "/" + total, detail);
    }

    /** A fraction done, 0 to 1 (shown as a percentage), with {@code detail} after the bar (may be empty). */
    public void update(double fraction, String detail) {
        show(fraction, String.format(Locale.ROOT, "%3.0f%%", 100 * Math.clamp(fraction, 0, 1)), detail);
    }

    private void show(double fraction, String amount, String detail) {
        fraction = Math.clamp(fraction, 0, 1);
        long now = System.nanoTime();
        double elapsed = (now - start) / 1e9;
        boolean finished = fraction >= 1;
        if (bar) {
            if (now - lastDraw < REDRAW_NANOS && !finished) return;
            lastDraw = now;
            int filled = (int) (WIDTH * fraction);
            String text = (label.isEmpty() ? "" : label + " ") + amount + " [" + "=".repeat(filled) + " ".repeat(WIDTH - filled) + "]"
                    + (detail.isEmpty() ? "" : " " + detail) + "  " + (finished ? elapsed(elapsed) : "ETA " + eta(fraction, elapsed));
            terminal.print("\r" + text + " ".repeat(Math.max(0, drawnLength - text.length())));
            terminal.flush();
            drawnLength = text.length();
            return;
        }
        // The last line only closes what earlier lines opened (or every line is wanted: no gap).
        boolean due = finished ? lastLogged < 1 && (loggedAny || logGapNanos == 0)
                : fraction - lastLogged >= 0.02 - 1e-9 && now - lastLogAt >= logGapNanos;
        if (!due) return;
        lastLogged = fraction;
        loggedAny = true;
        lastLogAt = now;
        log.accept((label.isEmpty() ? "" : label + " ") + amount + (detail.isEmpty() ? "" : ": " + detail) + ", "
                + String.format(Locale.ROOT, "%.0f s elapsed", elapsed) + (finished ? "" : ", ETA " + eta(fraction, elapsed)));
    }

    /** A line of the command's own, on {@code out}, after clearing the bar. */
    public void println(PrintStream out, String line) {
        clear();
        out.println(line);
    }

    /** Removes the bar (on a terminal); the next update draws it again. */
    public void clear() {
        if (!bar || drawnLength == 0) return;
        terminal.print("\r" + " ".repeat(drawnLength) + "\r");
        terminal.flush();
        drawnLength = 0;
    }

    private static String eta(double fraction, double elapsed) {
        if (fraction <= 0) return "-:--";
        long s = Math.round(elapsed / fraction * (1 - fraction));
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    private static String elapsed(double seconds) {
        return String.format(Locale.ROOT, "%.1f s", seconds);
    }
}
