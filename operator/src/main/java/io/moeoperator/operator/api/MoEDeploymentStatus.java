package io.moeoperator.operator.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.model.annotation.LabelSelector;
import io.fabric8.kubernetes.model.annotation.StatusReplicas;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the operator observed. Mutable because JOSDK patches it in place. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class MoEDeploymentStatus {
    private Long observedGeneration;
    @JsonPropertyDescription("Ready groups / desired groups, e.g. 1/2.")
    private String ready;

    @StatusReplicas
    @JsonPropertyDescription("Serving groups that exist.")
    private Integer replicas;

    @JsonPropertyDescription("Serving groups whose pods are all ready.")
    private Integer readyReplicas;

    @JsonPropertyDescription("Serving groups ready on the current revision.")
    private Integer updatedReplicas;

    @JsonPropertyDescription("Revision of the current pod template (the suffix of the groups' StatefulSet and pod names).")
    private String currentRevision;

    @LabelSelector
    @JsonPropertyDescription("Label selector of the serving pods (for the scale subresource).")
    private String selector;
    @JsonPropertyDescription("Routed experts each pod holds, e.g. 32 (or 11-12 when sharded unevenly).")
    private String expertsPerPod;

    @JsonPropertyDescription("Ready, Progressing and Degraded, with reason and message.")
    private List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("In-cluster URL of the OpenAI-compatible API (the client Service).")
    private String endpoint;

    @JsonPropertyDescription("Which routed experts each rank of a group holds.")
    private List<ShardAssignment> shardPlan = new ArrayList<>();

    @JsonPropertyDescription("The autoscaler's last evaluation (when spec.autoscaling is enabled).")
    private AutoscalingStatus autoscaling;

    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
    public String getReady() { return ready; }
    public void setReady(String ready) { this.ready = ready; }
    public Integer getReplicas() { return replicas; }
    public void setReplicas(Integer replicas) { this.replicas = replicas; }
    public Integer getReadyReplicas() { return readyReplicas; }
    public void setReadyReplicas(Integer readyReplicas) { this.readyReplicas = readyReplicas; }
    public Integer getUpdatedReplicas() { return updatedReplicas; }
    public void setUpdatedReplicas(Integer updatedReplicas) { this.updatedReplicas = updatedReplicas; }
    public String getCurrentRevision() { return currentRevision; }
    public void setCurrentRevision(String currentRevision) { this.currentRevision = currentRevision; }
    public String getSelector() { return selector; }
    public void setSelector(String selector) { this.selector = selector; }
    public String getExpertsPerPod() { return expertsPerPod; }
    public void setExpertsPerPod(String expertsPerPod) { this.expertsPerPod = expertsPerPod; }
    public List<Condition> getConditions() { return conditions; }
    public void setConditions(List<Condition> conditions) { this.conditions = conditions; }
    public String getEndpoint() { return endpoint; }
    public void setEndpoint(String endpoint) { this.endpoint = endpoint; }
    public List<ShardAssignment> getShardPlan() { return shardPlan; }
    public void setShardPlan(List<ShardAssignment> shardPlan) { this.shardPlan = shardPlan; }

    public AutoscalingStatus getAutoscaling() { return autoscaling; }
    public void setAutoscaling(AutoscalingStatus autoscaling) { this.autoscaling = autoscaling; }

    /** The condition of that type, or null. */
    public Condition condition(String type) {
        return conditions == null ? null
                : conditions.stream().filter(c -> Objects.equals(c.getType(), type)).findFirst().orElse(null);
    }
}
