package io.moeoperator.operator.reconcile;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.moeoperator.operator.api.MoEDeploymentStatus;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Conditions as kubectl users expect them: Ready, Progressing, Degraded; transition times kept while unchanged. */
public final class StatusBuilder {
    public static final String READY = "Ready";
    public static final String PROGRESSING = "Progressing";
    public static final String DEGRADED = "Degraded";
    public static final String AUTOSCALING_ACTIVE = "AutoscalingActive";

    private StatusBuilder() {}

    /** Sets (or replaces) a condition, keeping lastTransitionTime when the status did not change. */
    public static void setCondition(MoEDeploymentStatus status, long generation, String type, boolean value,
                                    String reason, String message, Instant now) {
        List<Condition> conditions = new ArrayList<>(status.getConditions() == null ? List.of() : status.getConditions());
        Condition previous = status.condition(type);
        String statusText = value ? "True" : "False";
        String transition = previous != null && Objects.equals(previous.getStatus(), statusText)
                && previous.getLastTransitionTime() != null
                ? previous.getLastTransitionTime()
                : DateTimeFormatter.ISO_INSTANT.format(now.truncatedTo(ChronoUnit.SECONDS));
        conditions.removeIf(c -> Objects.equals(c.getType(), type));
        conditions.add(new ConditionBuilder()
                .withType(type)
                .withStatus(statusText)
                .withReason(reason)
                .withMessage(message)
                .withObservedGeneration(generation)
                .withLastTransitionTime(transition)
                .build());
        conditions.sort((a, b) -> Integer.compare(order(a.getType()), order(b.getType())));
        status.setConditions(conditions);
    }

    private static int order(String type) {
        return switch (type) {
            case READY -> 0;
            case PROGRESSING -> 1;
            case DEGRADED -> 2;
            default -> 3;
        };
    }

    public static boolean isTrue(MoEDeploymentStatus status, String type) {
        Condition c = status == null ? null : status.condition(type);
        return c != null && "True".equals(c.getStatus());
    }
}
