package io.moeoperator.operator.autoscale;

import io.fabric8.kubernetes.api.model.autoscaling.v1.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.moeoperator.autoscaler.Autoscaler;
import io.moeoperator.autoscaler.MetricReading;
import io.moeoperator.autoscaler.ScalingDecision;
import io.moeoperator.operator.api.AutoscalingStatus;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.reconcile.EventRecorder;
import io.moeoperator.operator.spec.ResolvedAutoscaling;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One evaluation of an autoscaled MoEDeployment: reads the metrics from Prometheus, asks the
 * {@link Autoscaler} and writes {@code spec.replicas} through the scale subresource (with an
 * {@code Autoscaled} event). Faults leave replicas as they are and back off. It does network I/O
 * and may block for the query timeout, so only {@link AutoscalingPoller} calls it, never a
 * reconcile. State (the recent recommendations) lives here, per deployment, until {@link #forget}.
 */
public final class AutoscalingController {
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    /** What to put in status, and when to look again. */
    public record Outcome(AutoscalingStatus status, boolean active, String reason, String message, Duration nextIn,
                          Integer scaledFrom, Integer scaledTo) {}

    private static final class State {
        Autoscaler autoscaler;
        int failures;
        String lastScaleTime;
    }

    private final KubernetesClient client;
    private final PrometheusClient prometheus;
    private final EventRecorder events;
    private final Map<String, State> states = new ConcurrentHashMap<>();

    public AutoscalingController(KubernetesClient client, PrometheusClient prometheus, EventRecorder events) {
        this.client = client;
        this.prometheus = prometheus;
        this.events = events;
    }

    /** Forget a deployment (deleted, or autoscaling turned off). */
    public void forget(String key) {
        states.remove(key);
    }

    /** Deployments with state here (for tests: state is dropped on delete). */
    public int size() {
        return states.size();
    }

    /**
     * Evaluates now. Called by one thread at a time per deployment.
     *
     * @param moe  the deployment as last reconciled (its status seeds the last scale time)
     * @param spec its resolved spec, with autoscaling enabled
     */
    public Outcome evaluate(MoEDeployment moe, ResolvedSpec spec, Instant now) {
        ResolvedAutoscaling config = spec.autoscaling();
        State state = states.computeIfAbsent(key(moe), k -> new State());
        if (state.autoscaler == null || !state.autoscaler.policy().equals(config.policy())) {
            state.autoscaler = new Autoscaler(config.policy());
            state.autoscaler.seed(now, spec.replicas());
            AutoscalingStatus previous = moe.getStatus() == null ? null : moe.getStatus().getAutoscaling();
            if (state.lastScaleTime == null && previous != null) state.lastScaleTime = previous.lastScaleTime();
        }
        return evaluateNow(moe, spec, config, state, now);
    }

    private Outcome evaluateNow(MoEDeployment moe, ResolvedSpec spec, ResolvedAutoscaling config, State state, Instant now) {
        String at = DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS));
        int current = spec.replicas();
        String hpa = competingHpa(moe);
        if (hpa != null) {
            return failed(state, config, at, current, "ConflictingHPA", "HorizontalPodAutoscaler " + hpa
                    + " also scales this MoEDeployment; remove it or spec.autoscaling (the operator will not fight it)");
        }
        List<MetricReading> readings = new ArrayList<>();
        List<String> queries = new ArrayList<>();
        for (ResolvedAutoscaling.Metric metric : config.metrics()) {
            String query = MetricQueries.query(metric, moe.getMetadata().getNamespace(), moe.getMetadata().getName());
            try {
                double value = prometheus.query(config.prometheusUrl(), query);
                readings.add(new MetricReading(metric.type().name(), MetricQueries.aggregation(metric.type()), value, metric.target()));
                queries.add(query);
            } catch (MetricsUnavailableException e) {
                return failed(state, config, at, current, e.reason().name(), metric.type() + ": " + e.getMessage());
            }
        }
        ScalingDecision decision = state.autoscaler.decide(now, current, readings);
        state.failures = 0;
        Integer from = null, to = null;
        if (decision.changesReplicas()) {
            client.resources(MoEDeployment.class).inNamespace(moe.getMetadata().getNamespace())
                    .withName(moe.getMetadata().getName()).scale(decision.desired());
            state.lastScaleTime = at;
            from = current;
            to = decision.desired();
            events.normal(moe, "Autoscaled", "scaled from " + from + " to " + to + " groups: " + decision.reason());
        }
        List<AutoscalingStatus.MetricValue> values = new ArrayList<>();
        for (int i = 0; i < decision.metrics().size(); i++) {
            var m = decision.metrics().get(i);
            ResolvedAutoscaling.Metric spec0 = config.metrics().get(i);
            values.add(new AutoscalingStatus.MetricValue(spec0.type().name(), queries.get(i),
                    round(m.reading().value()), m.reading().target(), m.replicas()));
        }
        AutoscalingStatus status = new AutoscalingStatus(decision.desired(), at, state.lastScaleTime, decision.reason(), values);
        return new Outcome(status, true, "MetricsAvailable", decision.reason(), config.pollInterval(), from, to);
    }

    private Outcome failed(State state, ResolvedAutoscaling config, String at, int current, String reason, String message) {
        state.failures++;
        long factor = 1L << Math.min(state.failures - 1, 10);
        Duration next = config.pollInterval().multipliedBy(factor);
        if (next.compareTo(MAX_BACKOFF) > 0) next = MAX_BACKOFF;
        AutoscalingStatus status = new AutoscalingStatus(current, at, state.lastScaleTime,
                "replicas left at " + current + ": " + message, null);
        return new Outcome(status, false, reason, message + "; retrying in " + next.toSeconds() + " s", next, null, null);
    }

    /** Name of an HPA that targets this MoEDeployment, or null. */
    private String competingHpa(MoEDeployment moe) {
        try {
            for (HorizontalPodAutoscaler hpa : client.autoscaling().v1().horizontalPodAutoscalers()
                    .inNamespace(moe.getMetadata().getNamespace()).list().getItems()) {
                var target = hpa.getSpec().getScaleTargetRef();
                if (target != null && moe.getKind().equals(target.getKind()) && moe.getMetadata().getName().equals(target.getName())
                        && (target.getApiVersion() == null || target.getApiVersion().startsWith(MoEDeployment.GROUP + "/"))) {
                    return hpa.getMetadata().getName();
                }
            }
            return null;
        } catch (KubernetesClientException e) {
            return null; // cannot list HPAs (e.g. RBAC): nothing known to compete with
        }
    }

    private static Double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    public static String key(MoEDeployment moe) {
        return moe.getMetadata().getNamespace() + "/" + moe.getMetadata().getName() + "/" + Objects.toString(moe.getMetadata().getUid());
    }
}
