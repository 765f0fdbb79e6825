package io.moeoperator.operator.reconcile;

import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.moeoperator.operator.resources.Labels;
import java.util.Map;
import java.util.Objects;

/**
 * What the operator observes of one serving group, from its StatefulSet: plain data for the
 * rollout planner.
 *
 * @param templateHash hash of the pod template the group was last given
 * @param ready        every rank is ready on that template (the StatefulSet controller saw it)
 */
public record GroupState(int index, String templateHash, boolean ready) {

    public static GroupState of(int index, StatefulSet sts) {
        Map<String, String> annotations = sts.getMetadata().getAnnotations();
        String hash = annotations == null ? null : annotations.get(Labels.TEMPLATE_HASH);
        return new GroupState(index, hash, isReady(sts));
    }

    static boolean isReady(StatefulSet sts) {
        StatefulSetStatus status = sts.getStatus();
        int wanted = Objects.requireNonNullElse(sts.getSpec().getReplicas(), 1);
        if (status == null || status.getObservedGeneration() == null) return false;
        if (status.getObservedGeneration() < sts.getMetadata().getGeneration()) return false;
        int ready = Objects.requireNonNullElse(status.getReadyReplicas(), 0);
        int updated = Objects.requireNonNullElse(status.getUpdatedReplicas(), ready);
        boolean revisionSettled = status.getUpdateRevision() == null || status.getCurrentRevision() == null
                || status.getUpdateRevision().equals(status.getCurrentRevision());
        return ready >= wanted && updated >= wanted && revisionSettled;
    }
}
