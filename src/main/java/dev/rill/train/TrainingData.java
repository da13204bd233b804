package dev.rill.train;

import dev.rill.model.Gpt;

import java.util.List;

/** Where a run's batches and validation loss come from: windows of a text, or packed chat conversations. */
interface TrainingData {

    /** Tokens in the training split. */
    int trainTokens();

    /** Tokens in the validation split. */
    int valTokens();

    /** Fills the {@code (nBatch, T)} inputs and targets of step {@code step}; depends only on the seed and the step. */
    void draw(int step, int[] x, int[] y);

    /** The validation loss, on the same tokens every time. */
    double validationLoss(Gpt model);

    /** The text a periodic sample continues. */
    String samplePrompt();

    /** Where a sample stops besides its length. */
    List<String> sampleStop();
}
