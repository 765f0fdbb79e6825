package io.moeoperator.operator.autoscale;

import io.moeoperator.autoscaler.MetricReading.Aggregation;
import io.moeoperator.operator.api.AutoscalingSpec.MetricType;
import io.moeoperator.operator.spec.ResolvedAutoscaling;

/**
 * PromQL for the built-in metric types over one deployment's series, selected by the labels the
 * operator gives the runtime ({@code --metrics-labels moe_namespace=..,moe_deployment=..}), so they
 * work whatever labels the Prometheus scrape configuration adds.
 */
public final class MetricQueries {
    static final String RATE_WINDOW = "1m";

    private MetricQueries() {}

    public static String query(ResolvedAutoscaling.Metric metric, String namespace, String name) {
        String selector = "{moe_namespace=\"" + namespace + "\",moe_deployment=\"" + name + "\"}";
        return switch (metric.type()) {
            case RequestsWaiting -> "sum(moe_requests_waiting" + selector + ")";
            case KvCacheUsage -> "avg(moe_kv_cache_usage_ratio" + selector + ")";
            case GenerationTokensPerSecond -> "sum(rate(moe_generation_tokens_total" + selector + "[" + RATE_WINDOW + "]))";
            case TimeToFirstTokenP95 -> "histogram_quantile(0.95, sum by (le) (rate(moe_time_to_first_token_seconds_bucket"
                    + selector + "[" + RATE_WINDOW + "])))";
            case Custom -> metric.query();
        };
    }

    /** Sums over all groups are divided by the group count; means and percentiles already are per group. */
    public static Aggregation aggregation(MetricType type) {
        return switch (type) {
            case RequestsWaiting, GenerationTokensPerSecond, Custom -> Aggregation.TOTAL;
            case KvCacheUsage, TimeToFirstTokenP95 -> Aggregation.PER_GROUP;
        };
    }
}
