package io.moeoperator.autoscaler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;

/**
 * HPA-style decisions for one deployment. Each metric recommends
 * {@code ceil(current * perGroupValue / target)} groups (or {@code current} within the tolerance);
 * the highest recommendation wins; stabilization windows, the step limit and the bounds then shape
 * it. Keeps the recent recommendations (its only state), so one instance serves one deployment.
 */
public final class Autoscaler {
    /** @param seeded recorded by {@link #seed}: it holds scale-downs back, never scale-ups */
    private record Timed(Instant at, int replicas, boolean seeded) {}

    private final ScalingPolicy policy;
    private final Deque<Timed> history = new ArrayDeque<>();

    public Autoscaler(ScalingPolicy policy) {
        this.policy = policy;
    }

    public ScalingPolicy policy() {
        return policy;
    }

    /**
     * Counts {@code current} as a recommendation at {@code now}, so a fresh autoscaler (e.g. after
     * an operator restart) does not scale down before a whole window has been seen.
     */
    public void seed(Instant now, int current) {
        history.addLast(new Timed(now, current, true));
    }

    /** @param readings at least one; every metric of the deployment, read at {@code now} */
    public ScalingDecision decide(Instant now, int current, List<MetricReading> readings) {
        if (readings.isEmpty()) throw new IllegalArgumentException("no metric readings");
        List<ScalingDecision.MetricRecommendation> perMetric = new ArrayList<>();
        int recommended = 0;
        MetricReading deciding = readings.getFirst();
        for (MetricReading reading : readings) {
            int replicas = recommend(current, reading);
            perMetric.add(new ScalingDecision.MetricRecommendation(reading, replicas));
            if (replicas > recommended) {
                recommended = replicas;
                deciding = reading;
            }
        }
        history.addLast(new Timed(now, recommended, false));
        Duration longest = max(policy.scaleUpStabilization(), policy.scaleDownStabilization());
        while (!history.isEmpty() && history.peekFirst().at().isBefore(now.minus(longest))) history.removeFirst();

        int desired = recommended;
        String why;
        if (recommended > current) {
            int lowest = extreme(now, policy.scaleUpStabilization(), true);
            desired = Math.max(current, Math.min(recommended, lowest));
            why = describe(deciding, current) + (desired < recommended
                    ? "; held at " + desired + " by the scale-up window (lowest recommendation " + lowest + ")" : "");
        } else if (recommended < current) {
            int highest = extreme(now, policy.scaleDownStabilization(), false);
            desired = Math.min(current, Math.max(recommended, highest));
            why = describe(deciding, current) + (desired > recommended
                    ? "; held at " + desired + " by the scale-down window (highest recommendation " + highest + ")" : "");
        } else {
            why = describe(deciding, current);
        }
        if (policy.maxStep() > 0 && Math.abs(desired - current) > policy.maxStep()) {
            desired = current + Integer.signum(desired - current) * policy.maxStep();
            why += "; limited to a step of " + policy.maxStep();
        }
        if (desired > policy.maxReplicas()) {
            desired = policy.maxReplicas();
            why += "; capped at maxReplicas " + policy.maxReplicas();
        } else if (desired < policy.minReplicas()) {
            desired = policy.minReplicas();
            why += "; raised to minReplicas " + policy.minReplicas();
        }
        return new ScalingDecision(current, recommended, desired, List.copyOf(perMetric), why);
    }

    /** One metric's recommendation for {@code current} groups. */
    int recommend(int current, MetricReading reading) {
        if (current <= 0) {
            // No groups: a total can still say how many are needed; a per-group figure cannot.
            return reading.aggregation() == MetricReading.Aggregation.TOTAL ? (int) Math.ceil(reading.value() / reading.target()) : 0;
        }
        double ratio = reading.perGroup(current) / reading.target();
        if (Math.abs(ratio - 1) <= policy.tolerance()) return current;
        // The epsilon keeps 3 * (2/3) from becoming ceil(2.0000000000000004) = 3.
        return (int) Math.ceil(current * ratio - 1e-9);
    }

    private int extreme(Instant now, Duration window, boolean lowest) {
        int result = lowest ? Integer.MAX_VALUE : Integer.MIN_VALUE;
        for (Timed t : history) {
            if (t.at().isBefore(now.minus(window)) || (lowest && t.seeded())) continue;
            result = lowest ? Math.min(result, t.replicas()) : Math.max(result, t.replicas());
        }
        return result;
    }

    private static String describe(MetricReading r, int current) {
        double perGroup = r.perGroup(current);
        String relation = perGroup > r.target() ? "above" : perGroup < r.target() ? "below" : "at";
        return String.format(Locale.ROOT, "%s %.3g per group is %s its target %.3g", r.name(), perGroup, relation, r.target());
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
