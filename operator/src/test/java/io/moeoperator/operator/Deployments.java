package io.moeoperator.operator;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.api.MoEDeploymentSpec;
import io.moeoperator.operator.spec.InvalidSpecException;
import io.moeoperator.operator.spec.ResolvedSpec;

/** MoEDeployments for tests, written as users write them: YAML. */
public final class Deployments {
    private Deployments() {}

    /** A deployment named {@code name} in namespace {@code ns} with the given spec (YAML, indented as under `spec:`). */
    public static MoEDeployment fromYaml(String name, String ns, String specYaml) {
        String yaml = "apiVersion: serving.moe-operator.io/v1alpha1\nkind: MoEDeployment\nmetadata:\n  name: " + name
                + "\n  namespace: " + ns + "\nspec:\n" + specYaml.stripIndent().lines().map(l -> "  " + l).reduce("", (a, b) -> a + b + "\n");
        MoEDeployment moe = Serialization.unmarshal(yaml, MoEDeployment.class);
        moe.setMetadata(new ObjectMetaBuilder(moe.getMetadata()).withUid("uid-" + name).withGeneration(1L).build());
        return moe;
    }

    public static MoEDeploymentSpec spec(String specYaml) {
        return fromYaml("x", "ns", specYaml).getSpec();
    }

    public static ResolvedSpec resolve(String specYaml) throws InvalidSpecException {
        return resolve(specYaml, OperatorConfig.defaults());
    }

    public static ResolvedSpec resolve(String specYaml, OperatorConfig config) throws InvalidSpecException {
        return ResolvedSpec.resolve(spec(specYaml), config);
    }

    /** What a runtime with the CUDA backend and Hugging Face repositories as published (issues 13, 17) will be told. */
    public static final OperatorConfig NEXT_RUNTIME = OperatorConfig.defaults().withRuntime(new io.moeoperator.operator.spec.RuntimeCapabilities(
            "next", java.util.Set.of("gguf", "safetensors"),
            java.util.Set.of(io.moeoperator.operator.api.Device.CPU, io.moeoperator.operator.api.Device.CUDA), true));
}
