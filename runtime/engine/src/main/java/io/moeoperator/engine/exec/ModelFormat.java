package io.moeoperator.engine.exec;

import io.moeoperator.engine.model.ModelFileException;
import java.nio.file.Files;
import java.nio.file.Path;

/** How a model's files are laid out; detected from what is at the path, or named to override that. */
public enum ModelFormat {
    /** One GGUF file (llama.cpp's format): weights, hyper-parameters, tokenizer and chat template. */
    GGUF,
    /**
     * A Hugging Face model directory: config.json, tokenizer files and model.safetensors or
     * model-0000N-of-0000M.safetensors shards with model.safetensors.index.json.
     */
    SAFETENSORS;

    /** A regular file is GGUF, a directory is a Hugging Face directory. */
    public static ModelFormat detect(Path path) {
        if (Files.isDirectory(path)) {
            return SAFETENSORS;
        }
        if (Files.isRegularFile(path)) {
            return GGUF;
        }
        throw new ModelFileException("model " + path + " does not exist: pass a GGUF file or a Hugging Face model directory"
                + " (config.json and *.safetensors)");
    }

    /** The lower-case name used by {@code --model-format}. */
    public String flag() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** Parses {@code gguf} or {@code safetensors}. */
    public static ModelFormat fromFlag(String flag) {
        for (ModelFormat f : values()) {
            if (f.flag().equals(flag)) {
                return f;
            }
        }
        throw new IllegalArgumentException("--model-format " + flag + " is not a model format (gguf, safetensors)");
    }

    /** Fails naming the path when it is not what this format needs. */
    void check(Path path) {
        boolean ok = this == GGUF ? Files.isRegularFile(path) : Files.isDirectory(path);
        if (!ok) {
            throw new ModelFileException("model " + path + (Files.exists(path) ? " is not " : " does not exist; expected ")
                    + (this == GGUF ? "a GGUF file" : "a Hugging Face model directory (config.json and *.safetensors)"));
        }
    }
}
