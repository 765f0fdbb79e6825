package io.moeoperator.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.Toleration;
import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
public record SchedulingSpec(
        Map<String, String> nodeSelector,
        List<Toleration> tolerations,

        @JsonPropertyDescription("Added to the pods as is; a podAntiAffinity here replaces the group spread below.")
        Affinity affinity,

        @JsonPropertyDescription("Preferred (default): the pods of one group go to different nodes when they can. "
                + "Required: they must. None: no spreading.")
        GroupSpread groupSpread,

        String priorityClassName) {

    public enum GroupSpread { Preferred, Required, None }
}
