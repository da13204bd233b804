package dev.rill.train;

import dev.rill.model.Gpt;

import java.util.List;

/**
 * A text's tokens as training data, as the seed describes: the first part for training, the last
 * {@code valFraction} for validation; each step {@code nBatch} uniform windows of {@code T} tokens
 * with targets shifted by one; validation on fixed windows of the held-out part.
 */
final class TextWindows implements TrainingData {

    private static final long VALIDATION_STREAM = -1L;

    private final int[] tokens;
    private final int nTrain, nVal, T, B, evalBatches;
    private final long seed;

    TextWindows(int[] tokens, TrainConfig config, int T) {
        this.tokens = tokens;
        this.T = T;
        this.B = config.nBatch();
        this.evalBatches = config.evalBatches();
        this.seed = config.seed();
        nTrain = config.trainTokens(tokens.length);
        nVal = tokens.length - nTrain;
        if (nTrain < T + 1) {
            throw new IllegalArgumentException(config.data() + " gives " + tokens.length + " tokens, " + nTrain
                    + " for training, fewer than T+1 = " + (T + 1) + "; use more text or a smaller context");
        }
        if (nVal < T + 1) {
            throw new IllegalArgumentException(config.data() + " gives " + nVal + " validation tokens (the last "
                    + Math.round(config.valFraction() * 100) + "%), fewer than T+1 = " + (T + 1) + "; use more text or a smaller context");
        }
    }

    @Override
    public int trainTokens() {
        return nTrain;
    }

    @Override
    public int valTokens() {
        return nVal;
    }

    @Override
    public void draw(int step, int[] x, int[] y) {
        Batches.draw(tokens, 0, nTrain, T, B, seed, step, x, y);
    }

    /** Mean loss over fixed validation batches (the same windows every time). */
    @Override
    public double validationLoss(Gpt model) {
        int[] x = new int[B * T], y = new int[B * T];
        double sum = 0;
        for (int k = 0; k < evalBatches; k++) {
            Batches.draw(tokens, nTrain, nVal, T, B, seed, VALIDATION_STREAM - k, x, y);
            sum += model.forward(x, y, B, T);
        }
        return sum / evalBatches;
    }

    @Override
    public String samplePrompt() {
        return "\n";
    }

    @Override
    public List<String> sampleStop() {
        return List.of();
    }
}
