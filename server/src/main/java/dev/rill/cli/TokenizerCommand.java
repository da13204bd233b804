package dev.rill.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code rill tokenizer <action>}: work with tokenizer vocabularies on their own. */
@Command(name = "tokenizer", mixinStandardHelpOptions = true,
        description = "Work with tokenizer vocabularies: train one on a text file.",
        subcommands = {TokenizerTrainCommand.class})
final class TokenizerCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
