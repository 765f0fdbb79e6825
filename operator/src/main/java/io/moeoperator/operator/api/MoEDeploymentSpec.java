package io.moeoperator.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import java.util.List;

/**
 * What the user asks for. Every field but {@code model.uri} is optional; the defaults are applied in
 * one place, {@link io.moeoperator.operator.spec.ResolvedSpec}, and documented in docs/operator.md.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MoEDeploymentSpec(
        @Required @JsonPropertyDescription("The model to serve.")
        ModelSpec model,

        @SpecReplicas @Min(0)
        @JsonPropertyDescription("Serving groups (copies of the model). Default 1. Scaled by `kubectl scale` and the autoscaler.")
        Integer replicas,

        @Min(1)
        @JsonPropertyDescription("Pods per serving group; the routed experts are sharded over them (rank = pod ordinal). Default 1.")
        Integer expertParallelism,

        @JsonPropertyDescription("Even (default): every rank holds the same number of experts, so expertParallelism must divide "
                + "the expert count. Uneven: the first ranks hold one more expert when it does not divide.")
        ExpertSharding expertSharding,

        @JsonPropertyDescription("How groups move to a changed pod template: Surge (default) or Recreate; one group at a time.")
        UpdateStrategySpec updateStrategy,

        @JsonPropertyDescription("cpu (default) or cuda (one or more NVIDIA GPUs per pod).")
        Device device,

        @JsonPropertyDescription("Runtime image. Default: the moe-runtime image of this operator's version (the -cuda variant for cuda).")
        String image,

        @JsonPropertyDescription("Always, IfNotPresent or Never. Default: Kubernetes' default for the image.")
        String imagePullPolicy,

        @JsonPropertyDescription("Resources of each pod.")
        ResourcesSpec resources,

        @JsonPropertyDescription("Runtime serving options.")
        ServingSpec serving,

        @JsonPropertyDescription("Where the pods run.")
        SchedulingSpec scheduling,

        @JsonPropertyDescription("Volume for downloaded or generated model files. Default: an emptyDir per pod.")
        ModelCacheSpec modelCache,

        @JsonPropertyDescription("Extra environment variables for the runtime container.")
        List<EnvVar> env,

        @JsonPropertyDescription("Secrets for pulling the runtime image.")
        List<LocalObjectReference> imagePullSecrets,

        @JsonPropertyDescription("Secret key holding a Hugging Face token, passed as HF_TOKEN (for gated hf:// models).")
        SecretKeySelector hfTokenSecret,

        @JsonPropertyDescription("Scale the serving groups on Prometheus metrics.")
        AutoscalingSpec autoscaling) {

    public enum ExpertSharding { Even, Uneven }
}
