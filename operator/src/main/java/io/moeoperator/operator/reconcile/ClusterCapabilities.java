package io.moeoperator.operator.reconcile;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * What the API server serves, from discovery, refreshed once a minute: a cluster may gain the
 * Prometheus Operator's CRDs (or an upgrade to policy/v1) while the operator runs.
 */
public final class ClusterCapabilities {
    private static final Duration REFRESH = Duration.ofMinutes(1);

    public record Snapshot(boolean podDisruptionBudgetV1, boolean serviceMonitor) {}

    private final KubernetesClient client;
    private final Clock clock;
    private volatile Snapshot snapshot;
    private volatile Instant checkedAt = Instant.MIN;

    public ClusterCapabilities(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    public Snapshot current() {
        Instant now = clock.instant();
        if (snapshot == null || Duration.between(checkedAt, now).compareTo(REFRESH) >= 0) {
            snapshot = new Snapshot(
                    client.supports("policy/v1", "PodDisruptionBudget"),
                    client.supports("monitoring.coreos.com/v1", "ServiceMonitor"));
            checkedAt = now;
        }
        return snapshot;
    }

}
