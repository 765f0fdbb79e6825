package io.moeoperator.autoscaler;

import java.util.List;

/**
 * What the autoscaler concluded at one evaluation.
 *
 * @param current     groups serving when it evaluated
 * @param recommended the highest per-metric recommendation, before stabilization, steps and bounds
 * @param desired     what the deployment should be scaled to now
 * @param metrics     each metric's own recommendation
 * @param reason      one sentence on why {@code desired} is what it is
 */
public record ScalingDecision(int current, int recommended, int desired, List<MetricRecommendation> metrics, String reason) {

    public record MetricRecommendation(MetricReading reading, int replicas) {}

    public boolean changesReplicas() {
        return desired != current;
    }
}
