package io.moeoperator.server.generation;

import io.moeoperator.engine.sample.SamplingParams;
import java.util.List;
import java.util.Map;

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

    /** The same options with these logit biases (token id to bias) in the sampling parameters. */
    public GenerationOptions withLogitBias(Map<Integer, Float> logitBias) {
        return new GenerationOptions(maxTokens, sampling.withLogitBias(logitBias), stops, stream, includeUsage);
    }
}
