package dev.rill.train;

import java.nio.file.Path;

/** What a training run reports as it goes (the command line draws a progress bar from it). */
public interface TrainingListener {

    /**
     * @param parameters  model parameters
     * @param nVocab      vocabulary size
     * @param trainTokens tokens in the training split
     * @param valTokens   tokens in the validation split
     * @param startStep    first step to run (0, or where a resumed run continues)
     * @param steps        last step + 1
     * @param evalInterval steps between validation measurements
     * @param evalBatches  fixed validation batches averaged per measurement (text runs; a fine-tuning run measures every held-out conversation)
     * @param sft          fine-tuning on conversations: the validation loss is over held-out assistant tokens
     */
    record Start(long parameters, int nVocab, int trainTokens, int valTokens, int startStep, int steps, int evalInterval, int evalBatches,
                 boolean sft) {
    }

    /** One optimisation step done. */
    record Step(int step, int steps, double loss, double learningRate, double gradNorm, double tokensPerSecond,
                double elapsedSeconds) {
    }

    /** Fitting the tokenizer on the text, before the run starts: the fraction done, 0 to 1. */
    default void fittingTokenizer(double fraction) {
    }

    default void started(Start start) {
    }

    default void stepped(Step step) {
    }

    /**
     * Validation at {@code step}: mean training loss since the last evaluation, and validation loss.
     * A run from a base checkpoint reports step 0 (before training) with a NaN training loss.
     */
    default void evaluated(int step, double trainLoss, double valLoss) {
    }

    default void sampled(int step, String text) {
    }

    default void checkpointed(int step, Path dir) {
    }
}
