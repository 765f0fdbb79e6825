package io.moeoperator.operator.autoscale;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.moeoperator.autoscaler.MetricReading.Aggregation;
import io.moeoperator.operator.api.AutoscalingSpec.MetricType;
import io.moeoperator.operator.resources.RuntimeCommand;
import io.moeoperator.operator.spec.ResolvedAutoscaling;
import io.moeoperator.operator.Deployments;
import org.junit.jupiter.api.Test;

class MetricQueriesTest {
    static String q(MetricType type) {
        return MetricQueries.query(new ResolvedAutoscaling.Metric(type, 1, null), "prod", "ds");
    }

    @Test
    void builtInQueriesSelectTheDeploymentsSeries() {
        assertEquals("sum(moe_requests_waiting{moe_namespace=\"prod\",moe_deployment=\"ds\"})", q(MetricType.RequestsWaiting));
        assertEquals("avg(moe_kv_cache_usage_ratio{moe_namespace=\"prod\",moe_deployment=\"ds\"})", q(MetricType.KvCacheUsage));
        assertEquals("sum(rate(moe_generation_tokens_total{moe_namespace=\"prod\",moe_deployment=\"ds\"}[1m]))",
                q(MetricType.GenerationTokensPerSecond));
        assertEquals("histogram_quantile(0.95, sum by (le) (rate(moe_time_to_first_token_seconds_bucket"
                + "{moe_namespace=\"prod\",moe_deployment=\"ds\"}[1m])))", q(MetricType.TimeToFirstTokenP95));
        assertEquals("up", MetricQueries.query(new ResolvedAutoscaling.Metric(MetricType.Custom, 1, "up"), "prod", "ds"));
    }

    @Test
    void totalsAreDividedByGroupsAndMeansAreNot() {
        assertEquals(Aggregation.TOTAL, MetricQueries.aggregation(MetricType.RequestsWaiting));
        assertEquals(Aggregation.TOTAL, MetricQueries.aggregation(MetricType.GenerationTokensPerSecond));
        assertEquals(Aggregation.TOTAL, MetricQueries.aggregation(MetricType.Custom));
        assertEquals(Aggregation.PER_GROUP, MetricQueries.aggregation(MetricType.KvCacheUsage));
        assertEquals(Aggregation.PER_GROUP, MetricQueries.aggregation(MetricType.TimeToFirstTokenP95));
    }

    @Test
    void thePodsCarryTheLabelsTheQueriesSelect() {
        var moe = Deployments.fromYaml("ds", "prod", "model: {uri: 'synthetic://'}");
        assertEquals("moe_namespace=prod,moe_deployment=ds,moe_group=3", RuntimeCommand.metricsLabels(moe, 3));
    }
}
