package io.moeoperator.engine.model;

/**
 * A model whose files cannot be used, whatever their format: malformed, truncated, or missing what
 * the model needs. The message names the file and the tensor or field, and what was wrong with it.
 */
public class ModelFileException extends RuntimeException {
    public ModelFileException(String message) {
        super(message);
    }

    public ModelFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
