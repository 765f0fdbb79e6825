package io.moeoperator.engine.gguf;

import io.moeoperator.engine.model.ModelFileException;

/** A GGUF file that cannot be used: malformed, truncated, or missing what the model needs. */
public class GgufException extends ModelFileException {
    public GgufException(String message) {
        super(message);
    }

    public GgufException(String message, Throwable cause) {
        super(message, cause);
    }
}
