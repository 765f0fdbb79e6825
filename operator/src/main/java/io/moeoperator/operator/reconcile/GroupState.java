package io.moeoperator.operator.reconcile;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.moeoperator.operator.resources.Labels;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * What the operator observes of one revision of one serving group (one StatefulSet): plain data for
 * the rollout planner and the status.
 *
 * @param revision  the pod-template revision its ranks run; null for a StatefulSet of operator 0.1.0
 * @param name      the StatefulSet's name
 * @param ready     every rank the group needs is ready on its template, so the group serves
 * @param createdAt when the StatefulSet was made: the start of its startup budget
 */
public record GroupState(int index, String revision, String name, boolean ready, Instant createdAt) {

    public static GroupState of(int index, StatefulSet sts) {
        Map<String, String> labels = sts.getMetadata().getLabels();
        String created = sts.getMetadata().getCreationTimestamp();
        return new GroupState(index, labels == null ? null : labels.get(Labels.REVISION), sts.getMetadata().getName(),
                isReady(sts), created == null ? null : Instant.parse(created));
    }

    /**
     * Ready when the StatefulSet controller has seen the current spec and as many ranks are ready as
     * the group needs (its {@link Labels#RANKS} annotation: a hand-scaled StatefulSet with fewer
     * replicas is a broken group, not a ready one).
     */
    static boolean isReady(StatefulSet sts) {
        StatefulSetStatus status = sts.getStatus();
        int replicas = Objects.requireNonNullElse(sts.getSpec().getReplicas(), 1);
        Map<String, String> annotations = sts.getMetadata().getAnnotations();
        String ranks = annotations == null ? null : annotations.get(Labels.RANKS);
        int wanted = ranks != null && ranks.matches("\\d{1,9}") ? Integer.parseInt(ranks) : replicas;
        if (status == null || status.getObservedGeneration() == null) return false;
        if (status.getObservedGeneration() < sts.getMetadata().getGeneration()) return false;
        int ready = Objects.requireNonNullElse(status.getReadyReplicas(), 0);
        int updated = Objects.requireNonNullElse(status.getUpdatedReplicas(), ready);
        boolean revisionSettled = status.getUpdateRevision() == null || status.getCurrentRevision() == null
                || status.getUpdateRevision().equals(status.getCurrentRevision());
        return replicas == wanted && ready >= wanted && updated >= wanted && revisionSettled;
    }
}
