package io.moeoperator.operator;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.moeoperator.operator.autoscale.AutoscalingController;
import io.moeoperator.operator.autoscale.AutoscalingPoller;
import io.moeoperator.operator.autoscale.PrometheusClient;
import io.moeoperator.operator.reconcile.EventRecorder;
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
    private final AutoscalingPoller autoscaling;
    private final KubernetesClient client;
    private final LeaderElectionConfiguration leaderElection;

    /**
     * @param leaderElection lease to hold before reconciling, or null to reconcile at once; with an
     *                       identity, {@link #close} releases the lease
     */
    public MoEOperator(KubernetesClient client, OperatorConfig config, MeterRegistry registry,
                       LeaderElectionConfiguration leaderElection, Clock clock) {
        this.client = client;
        this.leaderElection = leaderElection;
        this.autoscaling = new AutoscalingPoller(new AutoscalingController(client, new PrometheusClient(),
                new EventRecorder(client, clock)), clock);
        this.reconciler = new MoEDeploymentReconciler(client, config, clock, autoscaling);
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
            c.withReconciliationMaxInterval(config.resyncInterval());
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

    /** The autoscaling evaluations (tests check that a deleted deployment's state is dropped). */
    public AutoscalingPoller autoscaling() {
        return autoscaling;
    }

    /** Stops reconciling (in-flight reconciles finish, up to 10 s), then releases the lease if it held it. */
    @Override
    public void close() {
        operator.stop();
        if (leaderElection != null) leaderElection.getIdentity().ifPresent(id -> LeaseRelease.release(client, leaderElection, id));
    }
}
