package io.moeoperator.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record ServingSpec(
        @Min(1) @Max(65535)
        @JsonPropertyDescription("HTTP port of the OpenAI-compatible API, health and metrics. Default 8000.")
        Integer port,

        @Min(1)
        @JsonPropertyDescription("Sequences each group runs at once (moe serve --max-num-seqs). Default: the runtime's.")
        Integer maxNumSeqs,

        @Min(1)
        @JsonPropertyDescription("Longest sequence (prompt + completion) in tokens (moe serve --context-length). Default: the model's.")
        Integer contextLength,

        @Min(1)
        @JsonPropertyDescription("CPU threads for the forward pass (moe serve --threads). Default: the pod's CPUs.")
        Integer threads,

        @JsonPropertyDescription("Memory for the KV cache of each pod, e.g. \"2Gi\" (moe serve --kv-cache-memory). Default: what "
                + "the pod's memory leaves after the model's weights, the heap and a fixed overhead (docs/memory.md). Must be "
                + "less than resources.memory.")
        String kvCacheMemory,

        @Min(1)
        @JsonPropertyDescription("Seconds a pod may take to load the model before it is restarted. Default 1800.")
        Integer startupTimeoutSeconds) {
}
