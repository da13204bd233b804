package dev.rill.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code rill bench <what>}: benchmarks that print figures (speed, memory). Each kind of benchmark
 * is its own subcommand class, listed here.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks that print figures: training, decoding, sampling, serving...",
        subcommands = {BenchTrainCommand.class, BenchModelCommand.class, BenchTokenizerCommand.class, SamplingBench.class, BenchServeCommand.class,
                BenchPositionalCommand.class, BenchAttackCommand.class, BenchKernelsCommand.class})
final class BenchCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
