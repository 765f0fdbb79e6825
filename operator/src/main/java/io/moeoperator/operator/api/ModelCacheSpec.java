package io.moeoperator.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.HostPathVolumeSource;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimVolumeSource;

/** At most one of the three; none means an emptyDir. Mounted at /var/cache/moe. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelCacheSpec(
        @JsonPropertyDescription("An existing claim (ReadWriteMany when groups or ranks share it).")
        PersistentVolumeClaimVolumeSource persistentVolumeClaim,
        EmptyDirVolumeSource emptyDir,
        @JsonPropertyDescription("A directory on the node, e.g. a pre-loaded model store.")
        HostPathVolumeSource hostPath) {
}
