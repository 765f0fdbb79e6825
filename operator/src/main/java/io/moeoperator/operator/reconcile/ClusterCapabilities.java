package io.moeoperator.operator.reconcile;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * What the API server serves, from discovery. The PodDisruptionBudget version is read once, when
 * the operator starts (its informer is registered for that version: policy/v1 from Kubernetes 1.21,
 * policy/v1beta1 before). Whether the Prometheus Operator's ServiceMonitor exists is refreshed once
 * a minute: a cluster may gain that CRD while the operator runs.
 */
public final class ClusterCapabilities {
    private static final Duration REFRESH = Duration.ofMinutes(1);

    public record Snapshot(boolean podDisruptionBudgetV1, boolean serviceMonitor) {
        public Class<? extends HasMetadata> podDisruptionBudgetClass() {
            return podDisruptionBudgetV1 ? io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget.class
                    : io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget.class;
        }
    }

    private final KubernetesClient client;
    private final Clock clock;
    private volatile Boolean podDisruptionBudgetV1;
    private volatile Snapshot snapshot;
    private volatile Instant checkedAt = Instant.MIN;

    public ClusterCapabilities(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    public Snapshot current() {
        Instant now = clock.instant();
        if (snapshot == null || Duration.between(checkedAt, now).compareTo(REFRESH) >= 0) {
            if (podDisruptionBudgetV1 == null) podDisruptionBudgetV1 = client.supports("policy/v1", "PodDisruptionBudget");
            snapshot = new Snapshot(podDisruptionBudgetV1, client.supports("monitoring.coreos.com/v1", "ServiceMonitor"));
            checkedAt = now;
        }
        return snapshot;
    }
}
