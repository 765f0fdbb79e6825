package io.moeoperator.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.moeoperator.operator.reconcile.MoEDeploymentReconciler;
import java.time.Clock;
import java.time.Duration;

/**
 * The operator as a library: one JOSDK {@link Operator} with the MoEDeployment controller, the same
 * whether started by {@link OperatorMain} or in-process by the integration tests.
 */
public final class MoEOperator implements AutoCloseable {
    private final Operator operator;
    private final MoEDeploymentReconciler reconciler;

    /**
     * @param leaderElection lease to hold before reconciling, or null to reconcile at once
     */
    public MoEOperator(KubernetesClient client, OperatorConfig config, MeterRegistry registry,
                       LeaderElectionConfiguration leaderElection, Clock clock) {
        this.reconciler = new MoEDeploymentReconciler(config, clock);
        this.operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withCloseClientOnStop(false)
                    .withStopOnInformerErrorDuringStartup(true)
                    .withReconciliationTerminationTimeout(Duration.ofSeconds(10))
                    .withMetrics(MicrometerMetrics.newPerResourceCollectingMicrometerMetricsBuilder(registry).build());
            if (leaderElection != null) o.withLeaderElectionConfiguration(leaderElection);
        });
        operator.register(reconciler, c -> {
            if (!config.namespaces().isEmpty()) c.settingNamespaces(config.namespaces());
        });
    }

    public void start() {
        operator.start();
    }

    public Operator operator() {
        return operator;
    }

    public MoEDeploymentReconciler reconciler() {
        return reconciler;
    }

    @Override
    public void close() {
        operator.stop();
    }
}
