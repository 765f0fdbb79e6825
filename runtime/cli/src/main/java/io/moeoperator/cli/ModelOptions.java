package io.moeoperator.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by the commands that load a model. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "PATH", description = "GGUF model file")
    Path model;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();
}
