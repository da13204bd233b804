package dev.rill.train;

import dev.rill.model.Gpt;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleConsumer;

/** The model's mean cross-entropy over a text, on every length-{@code T} window at stride {@code T} (or another window length). */
public final class Evaluation {

    private Evaluation() {
    }

    /** The loss and how many windows (conversations) and tokens it covers. */
    public record Result(double loss, int windows, long tokens) {
    }

    /**
     * The fine-tuning loss of conversations: the mean cross-entropy over the tokens of every
     * assistant turn, each conversation alone from position 0, {@code batch} at a time. A
     * conversation longer than the context fails with its line number.
     */
    public static Result chatLoss(Gpt model, dev.rill.spi.Vocabulary vocab, List<ChatData.Conversation> conversations, int batch,
                                  String source) {
        if (batch <= 0) throw new IllegalArgumentException("the batch must be > 0 conversations (got " + batch + ")");
        int T = model.config.T();
        List<ChatExamples.Example> examples = new ArrayList<>();
        for (ChatData.Conversation c : conversations) examples.add(ChatExamples.tokenize(c, vocab, T, source));
        Result r = ChatExamples.assistantLoss(model, examples, batch);
        model.releaseActivations();
        return r;
    }

    /**
     * Windows {@code k = 0, 1, ...}: inputs {@code s[kT .. kT+T)}, targets {@code s[kT+1 .. kT+T]},
     * run {@code batch} at a time. Every window has {@code T} targets, so the mean over windows is
     * the mean over tokens.
     */
    public static Result crossEntropy(Gpt model, int[] tokens, int batch) {
        return crossEntropy(model, tokens, batch, model.config.T());
    }

    /**
     * The same over windows of {@code window} tokens instead of {@code T}: longer windows reach
     * positions past the training context, which only encodings that extrapolate define (up to the
     * model's maximum context; others fail with an error naming the limit).
     */
    public static Result crossEntropy(Gpt model, int[] tokens, int batch, int window) {
        return crossEntropy(model, tokens, batch, window, done -> {
        });
    }

    /** The same, telling {@code progress} the fraction of windows done after each batch. */
    public static Result crossEntropy(Gpt model, int[] tokens, int batch, int window, DoubleConsumer progress) {
        int T = window;
        if (T <= 0) throw new IllegalArgumentException("the window must be > 0 tokens (got " + T + ")");
        if (batch <= 0) throw new IllegalArgumentException("the batch must be > 0 windows (got " + batch + ")");
        int windows = (tokens.length - 1) / T;
        if (windows == 0) {
            throw new IllegalArgumentException("the text gives " + tokens.length + " tokens, fewer than " + (T + 1) + " needed for one window of " + T);
        }
        double sum = 0;
        for (int w0 = 0; w0 < windows; w0 += batch) {
            int B = Math.min(batch, windows - w0);
            int[] x = new int[B * T], y = new int[B * T];
            for (int b = 0; b < B; b++) {
                System.arraycopy(tokens, (w0 + b) * T, x, b * T, T);
                System.arraycopy(tokens, (w0 + b) * T + 1, y, b * T, T);
            }
            sum += model.forward(x, y, B, T) * B;
            progress.accept((double) (w0 + B) / windows);
        }
        model.releaseActivations();
        return new Result(sum / windows, windows, (long) windows * T);
    }
}
