package io.moeoperator.operator.reconcile;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.api.MoEDeploymentStatus;
import io.moeoperator.operator.resources.DeploymentResources;
import io.moeoperator.operator.resources.Labels;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What a MoEDeployment reports: pure functions of observations, so the reconciler only writes them. */
final class StatusReport {
    private StatusReport() {}

    /**
     * Status of a valid deployment from what was observed and what this reconcile does.
     *
     * @param observed every revision of every group, by group index
     * @param revision the revision the current spec runs
     */
    static MoEDeploymentStatus serving(MoEDeployment moe, ResolvedSpec spec, MoEDeploymentStatus previous,
                                       Map<Integer, List<GroupState>> observed, RolloutPlanner.Step step, String revision,
                                       Instant now) {
        long generation = moe.getMetadata().getGeneration();
        int wanted = spec.replicas();
        int ready = 0, updated = 0;
        List<Integer> stuck = new ArrayList<>();
        Instant budgetStart = now.minusSeconds(spec.startupTimeoutSeconds());
        for (int i = 0; i < wanted; i++) {
            List<GroupState> revisions = observed.getOrDefault(i, List.of());
            if (revisions.stream().anyMatch(GroupState::ready)) ready++;
            GroupState current = revisions.stream().filter(g -> revision.equals(g.revision())).findFirst().orElse(null);
            if (current == null) continue;
            if (current.ready()) updated++;
            else if (current.createdAt() != null && current.createdAt().isBefore(budgetStart)) stuck.add(i);
        }
        MoEDeploymentStatus status = new MoEDeploymentStatus();
        status.setConditions(previous.getConditions());
        status.setObservedGeneration(generation);
        status.setReplicas(wanted);
        status.setReadyReplicas(ready);
        status.setUpdatedReplicas(updated);
        status.setReady(ready + "/" + wanted);
        status.setCurrentRevision(revision);
        status.setSelector(Labels.selectorString(Labels.servingSelector(moe)));
        status.setEndpoint(DeploymentResources.endpoint(moe, spec));
        status.setShardPlan(spec.shardPlan().assignments());
        status.setExpertsPerPod(spec.shardPlan().expertsPerPod());

        boolean allReady = ready == wanted;
        StatusBuilder.setCondition(status, generation, StatusBuilder.READY, allReady,
                allReady ? (wanted == 0 ? "ScaledToZero" : "AllGroupsReady") : "GroupsNotReady",
                ready + " of " + wanted + " serving groups ready", now);
        boolean progressing = !step.isIdle() || updated < wanted;
        String reason = !step.removed().isEmpty() || !step.create().isEmpty() ? "Scaling"
                : !step.replace().isEmpty() || !step.waiting().isEmpty() ? "RollingUpdate"
                : progressing ? "GroupsStarting" : "Complete";
        String message = progressing
                ? updated + " of " + wanted + " groups ready on revision " + revision
                        + (step.waiting().isEmpty() ? "" : "; waiting to replace groups " + step.waiting())
                : "all " + wanted + " groups ready on revision " + revision;
        StatusBuilder.setCondition(status, generation, StatusBuilder.PROGRESSING, progressing, reason, message, now);
        if (stuck.isEmpty()) {
            StatusBuilder.setCondition(status, generation, StatusBuilder.DEGRADED, false, "AsExpected", "no group is failing", now);
        } else {
            String why = "groups " + stuck + " not ready " + spec.startupTimeoutSeconds() + " s after revision " + revision
                    + " was started";
            StatusBuilder.setCondition(status, generation, StatusBuilder.DEGRADED, true, "GroupsUnavailable", why, now);
        }
        return status;
    }

    /** Status while the spec is invalid: what runs is reported as it is; the plan and endpoint stay as they were. */
    static MoEDeploymentStatus invalid(MoEDeployment moe, MoEDeploymentStatus previous, Map<Integer, List<GroupState>> groups,
                                       String message, Instant now) {
        long generation = moe.getMetadata().getGeneration();
        MoEDeploymentStatus status = new MoEDeploymentStatus();
        status.setConditions(previous.getConditions());
        status.setObservedGeneration(generation);
        long ready = groups.values().stream().filter(revisions -> revisions.stream().anyMatch(GroupState::ready)).count();
        status.setReplicas(groups.size());
        status.setReadyReplicas((int) ready);
        status.setUpdatedReplicas(0);
        status.setReady(ready + "/" + groups.size());
        status.setSelector(Labels.selectorString(Labels.servingSelector(moe)));
        status.setEndpoint(previous.getEndpoint());
        status.setShardPlan(previous.getShardPlan());
        status.setAutoscaling(previous.getAutoscaling());
        status.setExpertsPerPod(previous.getExpertsPerPod());
        status.setCurrentRevision(previous.getCurrentRevision());
        StatusBuilder.setCondition(status, generation, StatusBuilder.READY, false, "InvalidSpec", message, now);
        StatusBuilder.setCondition(status, generation, StatusBuilder.PROGRESSING, false, "InvalidSpec",
                "fix the spec; nothing changes until then", now);
        StatusBuilder.setCondition(status, generation, StatusBuilder.DEGRADED, true, "InvalidSpec", message, now);
        return status;
    }

    /**
     * Only name, namespace and status: server-side applied without a resourceVersion, so a status
     * computed from a cache that missed our own last patch does not fail with a conflict. The
     * operator is the only writer of these status fields.
     */
    static MoEDeployment patch(MoEDeployment moe, MoEDeploymentStatus status) {
        MoEDeployment patch = new MoEDeployment();
        patch.setMetadata(new ObjectMetaBuilder()
                .withName(moe.getMetadata().getName()).withNamespace(moe.getMetadata().getNamespace()).build());
        patch.setStatus(status);
        return patch;
    }
}
