package dev.rill.train;

/** What a training job reports, in order: its state changes, steps, evaluations, samples and checkpoints. */
public sealed interface TrainingEvent {

    /** The job's id. */
    String job();

    /** The job changed state; {@code error} says why it failed. */
    record State(String job, TrainingJobs.State state, String error) implements TrainingEvent {
    }

    /**
     * Steps done (sent at most a few times a second, and for the last step).
     *
     * @param eta seconds left at the current pace
     */
    record Progress(String job, int step, int steps, double loss, double learningRate, double tokensPerSecond,
                    double elapsed, double eta) implements TrainingEvent {
    }

    /** Validation at {@code step}; step 0 of a fine-tuning run is before training (its train loss is NaN). */
    record Evaluation(String job, int step, double trainLoss, double valLoss) implements TrainingEvent {
    }

    /** A text sample at {@code step}. */
    record Sample(String job, int step, String text) implements TrainingEvent {
    }

    /** A checkpoint of {@code step} was written to the job's folder and is served as {@code model}. */
    record Checkpoint(String job, int step, String model) implements TrainingEvent {
    }
}
