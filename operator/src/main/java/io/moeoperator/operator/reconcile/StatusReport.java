package io.moeoperator.operator.reconcile;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.api.MoEDeploymentStatus;
import io.moeoperator.operator.resources.DeploymentResources;
import io.moeoperator.operator.resources.Labels;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/** What a MoEDeployment reports: pure functions of observations, so the reconciler only writes them. */
final class StatusReport {
    private StatusReport() {}

    /**
     * Status of a valid deployment from what was observed and what this reconcile does.
     *
     * @param desiredTemplateHash the pod-template hash group i should run
     */
    static MoEDeploymentStatus serving(MoEDeployment moe, ResolvedSpec spec, MoEDeploymentStatus previous,
                                       Map<Integer, StatefulSet> groups, Map<Integer, GroupState> observed,
                                       RolloutPlanner.Step step, IntFunction<String> desiredTemplateHash, Instant now) {
        long generation = moe.getMetadata().getGeneration();
        int wanted = spec.replicas();
        int ready = 0, updated = 0;
        List<Integer> stuck = new ArrayList<>();
        for (int i = 0; i < wanted; i++) {
            GroupState group = observed.get(i);
            if (group == null) continue;
            boolean current = group.templateHash() != null && group.templateHash().equals(desiredTemplateHash.apply(i));
            if (group.ready()) ready++;
            if (group.ready() && current) updated++;
            if (!group.ready() && current && ChildWriter.startedBefore(groups.get(i), now.minusSeconds(spec.startupTimeoutSeconds()))) {
                stuck.add(i);
            }
        }
        MoEDeploymentStatus status = new MoEDeploymentStatus();
        status.setConditions(previous.getConditions());
        status.setObservedGeneration(generation);
        status.setReplicas(wanted);
        status.setReadyReplicas(ready);
        status.setUpdatedReplicas(updated);
        status.setReady(ready + "/" + wanted);
        status.setSelector(Labels.selectorString(Labels.servingSelector(moe)));
        status.setEndpoint(DeploymentResources.endpoint(moe, spec));
        status.setShardPlan(spec.shardPlan().assignments());
        status.setExpertsPerPod(spec.shardPlan().expertsPerPod());

        boolean allReady = ready == wanted;
        StatusBuilder.setCondition(status, generation, StatusBuilder.READY, allReady,
                allReady ? (wanted == 0 ? "ScaledToZero" : "AllGroupsReady") : "GroupsNotReady",
                ready + " of " + wanted + " serving groups ready", now);
        boolean progressing = !step.isIdle() || updated < wanted;
        String reason = !step.delete().isEmpty() || !step.create().isEmpty() ? "Scaling"
                : !step.update().isEmpty() || !step.waiting().isEmpty() ? "RollingUpdate"
                : progressing ? "GroupsStarting" : "Complete";
        String message = progressing
                ? updated + " of " + wanted + " groups ready on the current spec"
                        + (step.waiting().isEmpty() ? "" : "; waiting to update groups " + step.waiting())
                : "all " + wanted + " groups ready on the current spec";
        StatusBuilder.setCondition(status, generation, StatusBuilder.PROGRESSING, progressing, reason, message, now);
        if (stuck.isEmpty()) {
            StatusBuilder.setCondition(status, generation, StatusBuilder.DEGRADED, false, "AsExpected", "no group is failing", now);
        } else {
            String why = "groups " + stuck + " not ready " + spec.startupTimeoutSeconds() + " s after they were started";
            StatusBuilder.setCondition(status, generation, StatusBuilder.DEGRADED, true, "GroupsUnavailable", why, now);
        }
        return status;
    }


    /** Status while the spec is invalid: what runs is reported as it is; the plan and endpoint stay as they were. */
    static MoEDeploymentStatus invalid(MoEDeployment moe, MoEDeploymentStatus previous, Map<Integer, StatefulSet> groups,
                                       String message, Instant now) {
        long generation = moe.getMetadata().getGeneration();
        MoEDeploymentStatus status = new MoEDeploymentStatus();
        status.setConditions(previous.getConditions());
        status.setObservedGeneration(generation);
        long ready = groups.values().stream().filter(GroupState::isReady).count();
        status.setReplicas(groups.size());
        status.setReadyReplicas((int) ready);
        status.setUpdatedReplicas(0);
        status.setReady(ready + "/" + groups.size());
        status.setSelector(Labels.selectorString(Labels.servingSelector(moe)));
        status.setEndpoint(previous.getEndpoint());
        status.setShardPlan(previous.getShardPlan());
        status.setAutoscaling(previous.getAutoscaling());
        status.setExpertsPerPod(previous.getExpertsPerPod());
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
