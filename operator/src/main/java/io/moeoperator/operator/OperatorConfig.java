package io.moeoperator.operator;

import io.moeoperator.operator.spec.RuntimeCapabilities;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * The operator's own settings, entering at one point (OperatorMain's flags / MOE_OPERATOR_* env).
 *
 * @param runtimeImage     default image for device cpu
 * @param cudaRuntimeImage default image for device cuda
 * @param expertPort       port on which the ranks of a group exchange tokens for their experts
 * @param namespaces       namespaces to watch; empty = all
 * @param prometheusUrl    Prometheus for autoscaling when a MoEDeployment names none
 * @param runtime          what the runtime images can serve (specs outside it are refused)
 * @param resyncInterval   longest time between two reconciles of a deployment: children that are not
 *                         watched (its Secret, ServiceMonitor) are checked for hand edits this often
 */
public record OperatorConfig(String runtimeImage, String cudaRuntimeImage, int expertPort, Set<String> namespaces,
                             String prometheusUrl, RuntimeCapabilities runtime, Duration resyncInterval) {
    public static final Duration DEFAULT_RESYNC_INTERVAL = Duration.ofMinutes(5);

    public static final String VERSION = "0.1.0";
    public static final String DEFAULT_RUNTIME_IMAGE = "ghcr.io/moe-operator/moe-runtime:" + VERSION;
    public static final String DEFAULT_CUDA_RUNTIME_IMAGE = "ghcr.io/moe-operator/moe-runtime:" + VERSION + "-cuda";
    public static final int DEFAULT_EXPERT_PORT = 29500;
    public static final String DEFAULT_PROMETHEUS_URL = "http://prometheus.monitoring:9090";

    public OperatorConfig {
        Objects.requireNonNull(runtimeImage, "runtimeImage");
        Objects.requireNonNull(cudaRuntimeImage, "cudaRuntimeImage");
        if (expertPort < 1 || expertPort > 65535) throw new IllegalArgumentException("expert port must be in 1..65535, got " + expertPort);
        namespaces = Set.copyOf(namespaces);
        Objects.requireNonNull(prometheusUrl, "prometheusUrl");
        Objects.requireNonNull(runtime, "runtime");
        if (resyncInterval.isNegative() || resyncInterval.isZero()) {
            throw new IllegalArgumentException("resync interval must be positive, got " + resyncInterval);
        }
    }

    public OperatorConfig(String runtimeImage, String cudaRuntimeImage, int expertPort, Set<String> namespaces,
                          String prometheusUrl) {
        this(runtimeImage, cudaRuntimeImage, expertPort, namespaces, prometheusUrl, RuntimeCapabilities.of(VERSION),
                DEFAULT_RESYNC_INTERVAL);
    }

    /** The same settings with other runtime capabilities (tests of what a later runtime will serve). */
    public OperatorConfig withRuntime(RuntimeCapabilities capabilities) {
        return new OperatorConfig(runtimeImage, cudaRuntimeImage, expertPort, namespaces, prometheusUrl, capabilities, resyncInterval);
    }

    public OperatorConfig withResyncInterval(Duration interval) {
        return new OperatorConfig(runtimeImage, cudaRuntimeImage, expertPort, namespaces, prometheusUrl, runtime, interval);
    }

    public static OperatorConfig defaults() {
        return new OperatorConfig(DEFAULT_RUNTIME_IMAGE, DEFAULT_CUDA_RUNTIME_IMAGE, DEFAULT_EXPERT_PORT, Set.of(),
                DEFAULT_PROMETHEUS_URL);
    }
}
