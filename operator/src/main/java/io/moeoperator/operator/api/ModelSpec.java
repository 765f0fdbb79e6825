package io.moeoperator.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelSpec(
        @Required
        @JsonPropertyDescription("hf://org/repo[@revision], pvc://claim/path/in/claim, file:///path/in/image or "
                + "synthetic://?experts=8&layers=2... (a generated demo model; keys are `moe synth` options).")
        String uri,

        @JsonPropertyDescription("gguf or safetensors. Default: detected by the runtime from what the URI holds (a GGUF file, "
                + "or a Hugging Face checkpoint: config.json and safetensors files).")
        String format,

        @JsonPropertyDescription("For hf:// models: one GGUF file of the repository to serve (e.g. model-Q8_0.gguf). Without it the "
                + "repository is served as a Hugging Face checkpoint; each rank downloads only the tensors it needs.")
        String file,

        @Min(1)
        @JsonPropertyDescription("Routed experts per MoE layer. Needed to plan shards for hf://, pvc:// and file:// models "
                + "(synthetic:// models know it); without it the plan says each rank's share only.")
        Integer experts,

        @JsonPropertyDescription("Model id clients use in requests. Default: the last part of the URI.")
        String servedModelName) {
}
