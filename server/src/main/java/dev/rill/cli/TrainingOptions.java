package dev.rill.cli;

import picocli.CommandLine.Option;

/**
 * The optimisation settings (batches, AdamW, schedule, validation) of the commands that train.
 * Each command constructs it with its own defaults where they differ.
 */
final class TrainingOptions {

    @Option(names = "--batch", paramLabel = "N", description = "Windows per step, nBatch.")
    int batch = 16;
    @Option(names = "--steps", paramLabel = "N", description = "Optimisation steps.")
    int steps = 2000;
    @Option(names = "--lr", paramLabel = "X", description = "Peak learning rate, reached after the warm-up.")
    double lr = 1e-3;
    @Option(names = "--min-lr", paramLabel = "X", description = "Learning rate at the last step (cosine decay from --lr).")
    double minLr = 1e-4;
    @Option(names = "--warmup", paramLabel = "N", description = "Steps of linear learning-rate warm-up.")
    int warmup = 100;
    @Option(names = "--weight-decay", paramLabel = "X", description = "AdamW decoupled weight decay, on the weight matrices only.")
    double weightDecay = 0.1;
    @Option(names = "--beta1", paramLabel = "X", description = "AdamW β1 (decay of the gradient's running mean).")
    double beta1 = 0.9;
    @Option(names = "--beta2", paramLabel = "X", description = "AdamW β2 (decay of the squared gradient's running mean).")
    double beta2 = 0.99;
    @Option(names = "--grad-clip", paramLabel = "X", description = "Clip the gradient's global L2 norm to this (0: no clipping).")
    double gradClip = 1.0;
    @Option(names = "--seed", paramLabel = "N", description = "Seed of the initialisation and of the batches drawn.")
    long seed = 1337;
    @Option(names = "--eval-interval", paramLabel = "N",
            description = "Measure the validation loss every N steps (0: five times in the run).")
    int evalInterval = 250;
    @Option(names = "--eval-batches", paramLabel = "N", description = "Fixed validation batches averaged at each measurement.")
    int evalBatches = 20;

    /** The defaults of {@code rill train}. */
    TrainingOptions() {
    }

    /** Other defaults for what differs (bench positional: a shorter run with a higher rate). */
    TrainingOptions(int steps, double lr, double minLr, int evalInterval, int evalBatches) {
        this.steps = steps;
        this.lr = lr;
        this.minLr = minLr;
        this.evalInterval = evalInterval;
        this.evalBatches = evalBatches;
    }

    /** The validation interval, 0 resolved to a fifth of the run. */
    int evalInterval() {
        return evalInterval == 0 ? Math.max(1, steps / 5) : evalInterval;
    }
}
