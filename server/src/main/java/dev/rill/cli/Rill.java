package dev.rill.cli;

import dev.rill.console.UserErrors;
import io.quarkus.runtime.annotations.QuarkusMain;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code rill} command line. Every command but {@code serve} runs without starting Quarkus,
 * so training and generation start fast and open no port.
 */
@QuarkusMain
@Command(name = "rill", mixinStandardHelpOptions = true, version = "rill 0.1.0",
        description = "A Java LLM chat server you can also train.",
        subcommands = {ServeCommand.class, TrainCommand.class, EvalCommand.class, GenerateCommand.class, TokenizeCommand.class,
                TokenizerCommand.class, PluginsCommand.class, BenchCommand.class, PullCommand.class, ModelsCommand.class})
public final class Rill implements Runnable {

    public static void main(String... args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code. */
    public static int run(String... args) {
        return run(null, args);
    }

    /** Runs the command line with error messages going to {@code err} (for tests); returns the exit code. */
    public static int run(java.io.PrintWriter err, String... args) {
        CommandLine cli = commandLine();
        if (err != null) cli.setErr(err);
        return cli.execute(args);
    }

    /** The whole command tree, configured: every command's help shows the defaults; errors are one line. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Rill());
        cli.setExecutionExceptionHandler(new Errors());
        cli.setParameterExceptionHandler(new BadUsage());
        cli.setOverwrittenOptionsAllowed(true);   // the last --option given wins, as in most tools
        showDefaults(cli);
        return cli;
    }

    private static void showDefaults(CommandLine cli) {
        cli.getCommandSpec().usageMessage().showDefaultValues(true);
        cli.getSubcommands().values().forEach(Rill::showDefaults);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /**
     * A command line that does not parse: one line naming what is wrong (and, for a command that does
     * not exist, the usage listing the real ones); exit code 2.
     */
    static final class BadUsage implements CommandLine.IParameterExceptionHandler {
        @Override
        public int handleParseException(CommandLine.ParameterException e, String[] args) {
            CommandLine cli = e.getCommandLine();
            java.io.PrintWriter err = cli.getErr();
            String name = cli.getCommandSpec().qualifiedName();
            java.util.List<String> suggestions = e instanceof CommandLine.UnmatchedArgumentException u ? u.getSuggestions() : java.util.List.of();
            String hint = suggestions.isEmpty() ? "" : " (did you mean " + String.join(" or ", suggestions) + "?)";
            if (e instanceof CommandLine.UnmatchedArgumentException u && !cli.getSubcommands().isEmpty()
                    && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-")) {
                err.println(name + ": unknown command '" + u.getUnmatched().getFirst() + "'" + hint);
                cli.usage(err);
            } else {
                err.println(name + ": " + e.getMessage() + hint + "; `" + name + " --help` lists the options");
            }
            err.flush();
            return cli.getCommandSpec().exitCodeOnInvalidInput();
        }
    }

    /** Bad input ends with one clear line on stderr and exit code 1, not a stack trace. */
    static final class Errors implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
            if (UserErrors.is(e)) {
                cli.getErr().println(cli.getCommandSpec().qualifiedName() + ": " + UserErrors.message(e));
                if (Boolean.getBoolean("rill.debug")) e.printStackTrace(cli.getErr());
                return 1;
            }
            throw new RuntimeException(e);
        }
    }
}
