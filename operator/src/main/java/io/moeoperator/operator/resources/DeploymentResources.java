package io.moeoperator.operator.resources;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The objects shared by all groups of a deployment. */
public final class DeploymentResources {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    private DeploymentResources() {}

    /** The Service clients call: every ready serving pod of every group. */
    public static Service clientService(MoEDeployment moe, ResolvedSpec spec) {
        Map<String, String> labels = Labels.common(moe);
        labels.put(Labels.COMPONENT, "api");
        return Owned.withDesiredHash(new ServiceBuilder()
                .withMetadata(Owned.metadata(moe, Names.clientService(moe), labels))
                .withNewSpec()
                    .withType("ClusterIP")
                    .withSelector(Labels.servingSelector(moe))
                    .addNewPort().withName("http").withPort(spec.port()).withNewTargetPort("http").withProtocol("TCP").endPort()
                .endSpec()
                .build());
    }

    public static String endpoint(MoEDeployment moe, ResolvedSpec spec) {
        return "http://" + Names.clientService(moe) + "." + moe.getMetadata().getNamespace() + ".svc:" + spec.port() + "/v1";
    }

    /** Shard plan and runtime settings, mounted at /etc/moe in every pod (the runtime reads shard-plan.json). */
    public static ConfigMap runtimeConfig(MoEDeployment moe, ResolvedSpec spec, OperatorConfig config) {
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("model", spec.modelUri());
        plan.put("experts", spec.shardPlan().experts());
        plan.put("ranks", spec.expertParallelism());
        plan.put("expertPort", config.expertPort());
        plan.put("assignments", spec.shardPlan().assignments());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", spec.modelUri());
        settings.put("servedModelName", spec.servedModelName());
        settings.put("device", spec.device().wireName());
        settings.put("port", spec.port());
        settings.put("groups", spec.replicas());
        settings.put("expertParallelism", spec.expertParallelism());
        settings.put("maxNumSeqs", spec.maxNumSeqs());
        settings.put("contextLength", spec.contextLength());
        Map<String, String> data = new LinkedHashMap<>();
        data.put("shard-plan.json", json(plan));
        data.put("runtime.json", json(settings));
        return Owned.withDesiredHash(new ConfigMapBuilder()
                .withMetadata(Owned.metadata(moe, Names.configMap(moe), Labels.common(moe)))
                .withData(data)
                .build());
    }

    /**
     * At most one serving pod disrupted at a time: any missing rank stops its whole group, so one
     * pod at a time is what keeps at most one group down during node drains.
     */
    public static PodDisruptionBudget podDisruptionBudget(MoEDeployment moe) {
        return Owned.withDesiredHash(new PodDisruptionBudgetBuilder()
                .withMetadata(Owned.metadata(moe, moe.getMetadata().getName(), Labels.common(moe)))
                .withNewSpec()
                    .withMaxUnavailable(new IntOrString(1))
                    .withNewSelector().withMatchLabels(Labels.servingSelector(moe)).endSelector()
                .endSpec()
                .build());
    }

    /**
     * The ranks' shared secret: 32 random bytes, made once (create-if-absent, never rewritten, so
     * running groups keep authenticating each other). The only desired object that is not a pure
     * function of the spec; {@code key} comes from the caller's SecureRandom.
     */
    public static Secret expertSecret(MoEDeployment moe, byte[] key) {
        return new SecretBuilder()
                .withMetadata(Owned.metadata(moe, Names.expertSecret(moe), Labels.common(moe)))
                .withType("Opaque")
                .addToData(RuntimeCommand.EP_SECRET_KEY, java.util.Base64.getEncoder().encodeToString(key))
                .build();
    }

    /** A Prometheus Operator ServiceMonitor over the groups' peer Services (they list not-ready pods too). */
    public static GenericKubernetesResource serviceMonitor(MoEDeployment moe) {
        Map<String, Object> selector = new LinkedHashMap<>();
        Map<String, String> match = new LinkedHashMap<>();
        match.put(Labels.DEPLOYMENT, moe.getMetadata().getName());
        match.put(Labels.COMPONENT, "peers");
        selector.put("matchLabels", match);
        Map<String, Object> endpoint = new LinkedHashMap<>();
        endpoint.put("port", "http");
        endpoint.put("path", "/q/metrics");
        endpoint.put("interval", "15s");
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("selector", selector);
        spec.put("endpoints", List.of(endpoint));
        return Owned.withDesiredHash(new GenericKubernetesResourceBuilder()
                .withApiVersion("monitoring.coreos.com/v1")
                .withKind("ServiceMonitor")
                .withMetadata(Owned.metadata(moe, moe.getMetadata().getName(), Labels.common(moe)))
                .withAdditionalProperties(Map.of("spec", spec))
                .build());
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
