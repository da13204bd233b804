package dev.rill.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything a training run is made of, as plain data (nanoGPT-style defaults for a small model).
 *
 * @param data               the text file to train on
 * @param out                checkpoint folder
 * @param tokenizer          tokenizer plugin fitted on the text
 * @param tokenizerParams    its parameters
 * @param positional         positional-encoding plugin
 * @param positionalParams   its parameters
 * @param nLayer             blocks
 * @param nHead              heads
 * @param nEmb               embedding width
 * @param T                  context size
 * @param maxContext         longest context for generation (0 = T)
 * @param nBatch             windows per step
 * @param steps              optimisation steps
 * @param learningRate       peak learning rate
 * @param minLearningRate    learning rate at the end of the cosine decay
 * @param warmupSteps        linear warm-up steps
 * @param weightDecay        AdamW decoupled weight decay (matrices only)
 * @param beta1              Adam β1
 * @param beta2              Adam β2
 * @param gradClip           clip the gradient's global L2 norm to this (0 = off)
 * @param evalInterval       validation loss every this many steps
 * @param evalBatches        fixed validation batches averaged each time
 * @param sampleInterval     a text sample every this many steps (0 = never)
 * @param sampleTokens       length of that sample
 * @param checkpointInterval checkpoint every this many steps (and at the end)
 * @param seed               seed of initialisation and batch sampling
 * @param valFraction        the last fraction of the tokens held out for validation (with {@code sft}: the fraction of the
 *                           conversations, a seeded split)
 * @param base               a Rill checkpoint to start from (its tokenizer, architecture and weights; fresh optimizer),
 *                           or {@code null} to fit a tokenizer and initialise a new model
 * @param sft                {@code data} is JSONL conversations ({@link ChatData}) and the loss counts assistant tokens only
 */
public record TrainConfig(Path data, Path out, String tokenizer, Map<String, Object> tokenizerParams,
                          String positional, Map<String, Object> positionalParams,
                          int nLayer, int nHead, int nEmb, int T, int maxContext, int nBatch,
                          int steps, double learningRate, double minLearningRate, int warmupSteps, double weightDecay,
                          double beta1, double beta2, double gradClip,
                          int evalInterval, int evalBatches, int sampleInterval, int sampleTokens, int checkpointInterval,
                          long seed, double valFraction, Path base, boolean sft) {

    /** A run from scratch on a text (no base checkpoint, no fine-tuning). */
    public TrainConfig(Path data, Path out, String tokenizer, Map<String, Object> tokenizerParams,
                       String positional, Map<String, Object> positionalParams,
                       int nLayer, int nHead, int nEmb, int T, int maxContext, int nBatch,
                       int steps, double learningRate, double minLearningRate, int warmupSteps, double weightDecay,
                       double beta1, double beta2, double gradClip,
                       int evalInterval, int evalBatches, int sampleInterval, int sampleTokens, int checkpointInterval,
                       long seed, double valFraction) {
        this(data, out, tokenizer, tokenizerParams, positional, positionalParams, nLayer, nHead, nEmb, T, maxContext, nBatch,
                steps, learningRate, minLearningRate, warmupSteps, weightDecay, beta1, beta2, gradClip, evalInterval, evalBatches,
                sampleInterval, sampleTokens, checkpointInterval, seed, valFraction, null, false);
    }

    public TrainConfig {
        tokenizerParams = tokenizerParams == null ? Map.of() : Map.copyOf(tokenizerParams);
        positionalParams = positionalParams == null ? Map.of() : Map.copyOf(positionalParams);
        List<String> errors = new ArrayList<>();
        positive(errors, "n-layer", nLayer);
        positive(errors, "n-head", nHead);
        positive(errors, "n-emb", nEmb);
        positive(errors, "context (T)", T);
        positive(errors, "batch", nBatch);
        positive(errors, "steps", steps);
        positive(errors, "eval-interval", evalInterval);
        positive(errors, "eval-batches", evalBatches);
        positive(errors, "checkpoint-interval", checkpointInterval);
        if (nEmb > 0 && nHead > 0 && nEmb % nHead != 0) errors.add("n-emb (" + nEmb + ") must be divisible by n-head (" + nHead + ")");
        if (maxContext != 0 && maxContext < T) errors.add("max-context (" + maxContext + ") must be 0 or ≥ T (" + T + ")");
        if (!(learningRate > 0)) errors.add("learning rate must be > 0 (got " + learningRate + ")");
        if (!(minLearningRate >= 0) || minLearningRate > learningRate) errors.add("min learning rate must be in [0, learning rate] (got " + minLearningRate + ")");
        if (warmupSteps < 0) errors.add("warmup must be ≥ 0 (got " + warmupSteps + ")");
        if (!(weightDecay >= 0)) errors.add("weight decay must be ≥ 0 (got " + weightDecay + ")");
        if (!(beta1 >= 0 && beta1 < 1)) errors.add("beta1 must be in [0, 1) (got " + beta1 + ")");
        if (!(beta2 >= 0 && beta2 < 1)) errors.add("beta2 must be in [0, 1) (got " + beta2 + ")");
        if (!(gradClip >= 0)) errors.add("grad clip must be ≥ 0 (got " + gradClip + ")");
        if (sampleInterval < 0 || sampleTokens < 0) errors.add("sample interval and tokens must be ≥ 0");
        if (!(valFraction > 0 && valFraction < 1)) errors.add("validation fraction must be in (0, 1) (got " + valFraction + ")");
        if (!errors.isEmpty()) throw new IllegalArgumentException("invalid training settings: " + String.join("; ", errors));
    }

    /** This configuration with the architecture and plugins of a base model (what a fine-tuning run really trains). */
    public TrainConfig withArchitecture(String tokenizer, Map<String, Object> tokenizerParams, String positional,
                                        Map<String, Object> positionalParams, int nLayer, int nHead, int nEmb, int T, int maxContext) {
        return new TrainConfig(data, out, tokenizer, tokenizerParams, positional, positionalParams, nLayer, nHead, nEmb, T, maxContext,
                nBatch, steps, learningRate, minLearningRate, warmupSteps, weightDecay, beta1, beta2, gradClip, evalInterval,
                evalBatches, sampleInterval, sampleTokens, checkpointInterval, seed, valFraction, base, sft);
    }

    /** How many of {@code nTokens} are for training: the first ones; the last {@code valFraction} are held out. */
    public int trainTokens(int nTokens) {
        return (int) (nTokens * (1 - valFraction));
    }

    private static void positive(List<String> errors, String name, int v) {
        if (v <= 0) errors.add(name + " must be > 0 (got " + v + ")");
    }

    /** Tokens per optimisation step. */
    public long tokensPerStep() {
        return (long) nBatch * T;
    }
}
