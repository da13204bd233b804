package dev.rill.cli;

import picocli.CommandLine.Option;

/** The GPT's sizes, for the commands that create a model to train. */
final class ModelShapeOptions {

    @Option(names = "--n-layer", paramLabel = "N", defaultValue = "4", description = "Transformer blocks, nLayer.")
    int nLayer;
    @Option(names = "--n-head", paramLabel = "N", defaultValue = "4", description = "Attention heads per block, nHead (must divide --n-emb).")
    int nHead;
    @Option(names = "--n-emb", paramLabel = "N", defaultValue = "128", description = "Embedding width, nEmb.")
    int nEmb;
    @Option(names = {"--context", "-T"}, paramLabel = "N", defaultValue = "128", description = "Context size T: tokens per training window.")
    int context;
}
