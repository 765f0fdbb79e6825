package io.moeoperator.operator.autoscale;

/** No usable value: the autoscaler leaves replicas alone and says why (the reason is a condition reason). */
public final class MetricsUnavailableException extends Exception {
    public enum Reason { PrometheusUnreachable, QueryFailed, NoData, InvalidMetricValue }

    private final Reason reason;

    public MetricsUnavailableException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
