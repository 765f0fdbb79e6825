package io.moeoperator.server.memory;

import io.quarkus.runtime.configuration.ConfigurationException;
import java.util.Set;

/**
 * The memory budget cannot be met: a configuration problem to Quarkus, which stops start-up printing
 * just this message (every term of the budget and what to change) rather than a stack trace.
 */
public class MemoryBudgetException extends ConfigurationException {
    public MemoryBudgetException(String message, String... keys) {
        super(message, Set.of(keys));
    }
}
