package io.moeoperator.cli;

import io.moeoperator.engine.exec.ModelFormat;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options shared by the commands that load a model. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "PATH",
            description = "GGUF file, or Hugging Face model directory (config.json, tokenizer files, *.safetensors)")
    Path model;

    @Option(names = "--model-format", paramLabel = "FORMAT",
            description = "gguf or safetensors (default: detected, a file is GGUF and a directory safetensors)")
    String modelFormat;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    ModelFormat format() {
        return modelFormat == null ? ModelFormat.detect(model) : ModelFormat.fromFlag(modelFormat);
    }
}
