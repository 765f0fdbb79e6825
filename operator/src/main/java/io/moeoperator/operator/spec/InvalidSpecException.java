package io.moeoperator.operator.spec;

import java.util.List;

/** The spec cannot be served; each problem names the field (e.g. "spec.expertParallelism: ..."). */
public final class InvalidSpecException extends Exception {
    private final List<String> problems;

    public InvalidSpecException(List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
