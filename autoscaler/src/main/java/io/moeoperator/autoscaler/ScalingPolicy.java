package io.moeoperator.autoscaler;

import java.time.Duration;

/**
 * Bounds and behaviour of one deployment's autoscaling.
 *
 * @param minReplicas              at least 1 (with no groups there are no per-group metrics to scale back up on)
 * @param maxStep                  most groups added or removed per decision; 0 = no limit
 * @param tolerance                relative distance from the target that changes nothing (0.1 = 10%)
 * @param scaleUpStabilization     scale up only to the lowest recommendation seen in this window
 * @param scaleDownStabilization   scale down only to the highest recommendation seen in this window
 */
public record ScalingPolicy(int minReplicas, int maxReplicas, int maxStep, double tolerance,
                            Duration scaleUpStabilization, Duration scaleDownStabilization) {

    public ScalingPolicy {
        if (minReplicas < 1) throw new IllegalArgumentException("minReplicas must be at least 1, got " + minReplicas);
        if (maxReplicas < minReplicas) {
            throw new IllegalArgumentException("maxReplicas " + maxReplicas + " is below minReplicas " + minReplicas);
        }
        if (maxStep < 0) throw new IllegalArgumentException("maxStep must not be negative, got " + maxStep);
        if (!(tolerance >= 0 && tolerance < 1)) throw new IllegalArgumentException("tolerance must be in [0, 1), got " + tolerance);
        if (scaleUpStabilization.isNegative() || scaleDownStabilization.isNegative()) {
            throw new IllegalArgumentException("stabilization windows must not be negative");
        }
    }
}
