package io.moeoperator.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/** The autoscaler's last evaluation. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AutoscalingStatus(
        @JsonPropertyDescription("Groups the autoscaler wants now.")
        Integer desiredReplicas,
        String lastEvaluationTime,
        String lastScaleTime,
        @JsonPropertyDescription("Why desiredReplicas is what it is, or why nothing could be decided.")
        String reason,
        List<MetricValue> metrics) {

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record MetricValue(String type, String query, Double value, Double target,
                              @JsonPropertyDescription("Groups this metric alone asks for.") Integer desiredReplicas) {}
}
