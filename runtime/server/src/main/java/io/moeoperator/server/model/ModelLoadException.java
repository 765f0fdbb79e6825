package io.moeoperator.server.model;

import io.quarkus.runtime.configuration.ConfigurationException;
import java.util.Set;

/**
 * The configured model cannot be served. A configuration problem to Quarkus, which then stops
 * start-up printing just this message rather than a stack trace.
 */
public class ModelLoadException extends ConfigurationException {
    public ModelLoadException(String message) {
        super(message, Set.of("moe.model"));
    }

    /** For faults that are not the file's: the cause's stack trace is worth showing. */
    public ModelLoadException(String message, Throwable cause) {
        super(message, cause, Set.of("moe.model"));
    }
}
