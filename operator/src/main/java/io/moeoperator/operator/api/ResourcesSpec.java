package io.moeoperator.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record ResourcesSpec(
        @Min(0)
        @JsonPropertyDescription("NVIDIA GPUs per pod (nvidia.com/gpu). Default 1 for cuda; must be 0 for cpu.")
        Integer gpus,

        @JsonPropertyDescription("CPU request per pod, e.g. \"4\" or \"500m\". Default \"1\".")
        String cpu,

        @JsonPropertyDescription("Memory request and limit per pod, e.g. \"8Gi\". Default \"2Gi\".")
        String memory) {
}
