package io.moeoperator.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Min;
import java.util.List;

/** Serving groups follow demand, read from Prometheus. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record AutoscalingSpec(
        @JsonPropertyDescription("Default true once this block is present.")
        Boolean enabled,

        @Min(1) @JsonPropertyDescription("Fewest groups. Default 1.")
        Integer minReplicas,

        @Min(1) @JsonPropertyDescription("Most groups (required).")
        Integer maxReplicas,

        @JsonPropertyDescription("Prometheus base URL. Default: the operator's --prometheus-url.")
        String prometheusUrl,

        @Min(1) @JsonPropertyDescription("Seconds between evaluations. Default 15.")
        Integer pollIntervalSeconds,

        @JsonPropertyDescription("What to scale on; the metric asking for the most groups wins.")
        List<Metric> metrics,

        Behavior behavior) {

    public enum MetricType { RequestsWaiting, KvCacheUsage, GenerationTokensPerSecond, TimeToFirstTokenP95, Custom }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Metric(
            @JsonPropertyDescription("RequestsWaiting (queued requests per group), KvCacheUsage (0..1, mean over pods), "
                    + "GenerationTokensPerSecond (per group), TimeToFirstTokenP95 (seconds), or Custom.")
            MetricType type,
            @JsonPropertyDescription("The per-group value to hold.")
            Double target,
            @JsonPropertyDescription("Custom only: a PromQL query returning one value, the total over all groups.")
            String query) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Behavior(
            @Min(0) @JsonPropertyDescription("Scale up only to the lowest recommendation of this window. Default 0.")
            Integer scaleUpStabilizationSeconds,
            @Min(0) @JsonPropertyDescription("Scale down only to the highest recommendation of this window. Default 300.")
            Integer scaleDownStabilizationSeconds,
            @Min(0) @JsonPropertyDescription("Most groups added or removed per decision; 0 = no limit. Default 0.")
            Integer maxStep,
            @JsonPropertyDescription("Relative distance from the target that changes nothing. Default 0.1.")
            Double tolerance) {}
}
