package io.moeoperator.cli;

import io.moeoperator.engine.model.ModelFileException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code moe}: the runtime's command line. Results go to stdout, logs and errors to stderr. */
@Command(name = "moe", mixinStandardHelpOptions = true, version = "moe 0.1.0",
        description = "Run DeepSeek-style Mixture-of-Experts models.",
        subcommands = {GenerateCommand.class, TokenizeCommand.class, SynthCommand.class, BenchCommand.class,
            LoadgenCommand.class})
public final class MoeCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code (0 ok, 1 failed, 2 bad usage). */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new MoeCommand());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            // Bad input (model file, flag values) is the user's to fix: say what, not a stack trace.
            if (e instanceof ModelFileException || e instanceof IllegalArgumentException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cli.execute(args);
    }
}
