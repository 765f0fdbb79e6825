package io.moeoperator.server.generation;

import io.moeoperator.engine.sample.SamplingParams;
import java.util.List;

/**
 * How to run one request, validated from the client's fields.
 *
 * @param stops         strings that end generation (never emitted themselves)
 * @param includeUsage  stream_options.include_usage: a final usage chunk when streaming
 */
public record GenerationOptions(int maxTokens, SamplingParams sampling, List<String> stops, boolean stream,
                                boolean includeUsage) {
    public GenerationOptions {
        stops = List.copyOf(stops);
    }
}
