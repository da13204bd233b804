package dev.rill.cli;

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
        CommandLine cli = new CommandLine(new Rill());
        cli.setExecutionExceptionHandler(new Errors());
        cli.setOverwrittenOptionsAllowed(true);   // the last --option given wins, as in most tools
        if (err != null) cli.setErr(err);
        return cli.execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Bad input ends with one clear line on stderr and exit code 1, not a stack trace. */
    static final class Errors implements CommandLine.IExecutionExceptionHandler {
        @Override
        public int handleExecutionException(Exception e, CommandLine cli, CommandLine.ParseResult parsed) {
            // Commands that run as Runnable wrap their I/O failures; the cause is the message.
            if (e instanceof java.io.UncheckedIOException u) e = u.getCause();
            if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                    || e instanceof java.io.IOException || e instanceof dev.rill.plugin.PluginException
                    || e instanceof UnsupportedOperationException) {
                String msg = e instanceof java.nio.file.NoSuchFileException ? "file not found: " + e.getMessage() : e.getMessage();
                cli.getErr().println(cli.getCommandSpec().qualifiedName() + ": " + msg);
                if (Boolean.getBoolean("rill.debug")) e.printStackTrace(cli.getErr());
                return 1;
            }
            throw new RuntimeException(e);
        }
    }
}
