package io.moeoperator.operator.spec;

import io.moeoperator.autoscaler.ScalingPolicy;
import io.moeoperator.operator.api.AutoscalingSpec;
import io.moeoperator.operator.api.AutoscalingSpec.MetricType;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** {@code spec.autoscaling} with defaults applied and rules checked (null when absent or disabled). */
public record ResolvedAutoscaling(URI prometheusUrl, Duration pollInterval, List<Metric> metrics, ScalingPolicy policy) {
    public static final int DEFAULT_POLL_SECONDS = 15;
    public static final int DEFAULT_SCALE_DOWN_SECONDS = 300;
    public static final double DEFAULT_TOLERANCE = 0.1;

    /** @param query only for Custom */
    public record Metric(MetricType type, double target, String query) {}

    /** Adds each problem (naming its field) to {@code problems}; returns null when disabled or invalid. */
    static ResolvedAutoscaling resolve(AutoscalingSpec spec, String defaultPrometheusUrl, List<String> problems) {
        if (spec == null || Boolean.FALSE.equals(spec.enabled())) return null;
        int before = problems.size();
        int min = Objects.requireNonNullElse(spec.minReplicas(), 1);
        if (min < 1) problems.add("spec.autoscaling.minReplicas: must be at least 1, got " + min);
        Integer max = spec.maxReplicas();
        if (max == null) problems.add("spec.autoscaling.maxReplicas: is required");
        else if (max < min) problems.add("spec.autoscaling.maxReplicas: " + max + " is below minReplicas " + min);
        String url = Objects.requireNonNullElse(spec.prometheusUrl(), defaultPrometheusUrl);
        URI prometheus = null;
        try {
            prometheus = URI.create(url);
            if (!("http".equals(prometheus.getScheme()) || "https".equals(prometheus.getScheme())) || prometheus.getHost() == null) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            problems.add("spec.autoscaling.prometheusUrl: '" + url + "' is not an http(s) URL such as http://prometheus.monitoring:9090");
        }
        int poll = Objects.requireNonNullElse(spec.pollIntervalSeconds(), DEFAULT_POLL_SECONDS);
        if (poll < 1) problems.add("spec.autoscaling.pollIntervalSeconds: must be at least 1, got " + poll);
        List<Metric> metrics = new ArrayList<>();
        List<AutoscalingSpec.Metric> given = Objects.requireNonNullElse(spec.metrics(), List.of());
        if (given.isEmpty()) problems.add("spec.autoscaling.metrics: name at least one metric");
        for (int i = 0; i < given.size(); i++) {
            AutoscalingSpec.Metric m = given.get(i);
            String field = "spec.autoscaling.metrics[" + i + "]";
            if (m.type() == null) {
                problems.add(field + ".type: is required (RequestsWaiting, KvCacheUsage, GenerationTokensPerSecond, TimeToFirstTokenP95, Custom)");
                continue;
            }
            if (m.target() == null || !(m.target() > 0) || m.target().isInfinite()) {
                problems.add(field + ".target: must be a positive number, got " + m.target());
            }
            if (m.type() == MetricType.Custom && (m.query() == null || m.query().isBlank())) {
                problems.add(field + ".query: a Custom metric needs a PromQL query");
            }
            if (m.type() != MetricType.Custom && m.query() != null) {
                problems.add(field + ".query: only Custom metrics take a query (" + m.type() + " has its own)");
            }
            if (m.type() == MetricType.KvCacheUsage && m.target() != null && m.target() > 1) {
                problems.add(field + ".target: KvCacheUsage is a ratio in 0..1, got " + m.target());
            }
            metrics.add(new Metric(m.type(), m.target() == null ? 0 : m.target(), m.query()));
        }
        AutoscalingSpec.Behavior b = Objects.requireNonNullElse(spec.behavior(), new AutoscalingSpec.Behavior(null, null, null, null));
        int up = Objects.requireNonNullElse(b.scaleUpStabilizationSeconds(), 0);
        int down = Objects.requireNonNullElse(b.scaleDownStabilizationSeconds(), DEFAULT_SCALE_DOWN_SECONDS);
        int step = Objects.requireNonNullElse(b.maxStep(), 0);
        double tolerance = Objects.requireNonNullElse(b.tolerance(), DEFAULT_TOLERANCE);
        if (up < 0) problems.add("spec.autoscaling.behavior.scaleUpStabilizationSeconds: must not be negative");
        if (down < 0) problems.add("spec.autoscaling.behavior.scaleDownStabilizationSeconds: must not be negative");
        if (step < 0) problems.add("spec.autoscaling.behavior.maxStep: must not be negative (0 = no limit)");
        if (!(tolerance >= 0 && tolerance < 1)) problems.add("spec.autoscaling.behavior.tolerance: must be in [0, 1), got " + tolerance);
        if (problems.size() > before) return null;
        return new ResolvedAutoscaling(prometheus, Duration.ofSeconds(poll), List.copyOf(metrics),
                new ScalingPolicy(min, max, step, tolerance, Duration.ofSeconds(up), Duration.ofSeconds(down)));
    }
}
