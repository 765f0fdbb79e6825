package io.moeoperator.operator.spec;

import io.moeoperator.operator.api.Device;
import java.util.Set;

/**
 * What the runtime image this operator deploys can serve. {@link ResolvedSpec} refuses a spec
 * outside it as InvalidSpec, so nothing is created that would only crash-loop. A custom
 * {@code spec.image} is assumed to be a build of the same runtime version.
 *
 * @param version             the runtime's version (the operator's own: they ship together)
 * @param formats             model formats {@code moe serve} loads
 * @param devices             where it computes
 * @param repositoryWithoutFile whether it serves an hf:// repository as a whole (else spec.model.file names one file)
 */
public record RuntimeCapabilities(String version, Set<String> formats, Set<Device> devices, boolean repositoryWithoutFile) {

    public RuntimeCapabilities {
        formats = Set.copyOf(formats);
        devices = Set.copyOf(devices);
    }

    /**
     * This runtime: GGUF files and Hugging Face checkpoints (safetensors, whole hf:// repositories),
     * on CPUs. The CUDA backend (issue 17) is not served yet; `moe serve --device cuda` stops at start-up.
     */
    public static RuntimeCapabilities of(String version) {
        return new RuntimeCapabilities(version, Set.of("gguf", "safetensors"), Set.of(Device.CPU), true);
    }
}
