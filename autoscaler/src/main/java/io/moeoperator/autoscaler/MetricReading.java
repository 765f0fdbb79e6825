package io.moeoperator.autoscaler;

/**
 * One metric's current value and its per-group target.
 *
 * @param name        what the metric is, for reasons and status (e.g. "RequestsWaiting")
 * @param aggregation whether {@code value} is the total over all groups or already per group
 * @param value       finite and not negative
 * @param target      per-group value the deployment should run at; positive
 */
public record MetricReading(String name, Aggregation aggregation, double value, double target) {

    public enum Aggregation {
        /** A sum over every group (waiting requests, tokens/s): per group = value / groups. */
        TOTAL,
        /** Already a per-group figure (cache usage, a latency percentile). */
        PER_GROUP
    }

    public MetricReading {
        if (!Double.isFinite(value) || value < 0) {
            throw new IllegalArgumentException(name + ": value must be finite and not negative, got " + value);
        }
        if (!Double.isFinite(target) || target <= 0) {
            throw new IllegalArgumentException(name + ": target must be positive, got " + target);
        }
    }

    /** The metric per group when {@code groups} groups serve. */
    public double perGroup(int groups) {
        return aggregation == Aggregation.TOTAL ? value / Math.max(groups, 1) : value;
    }
}
