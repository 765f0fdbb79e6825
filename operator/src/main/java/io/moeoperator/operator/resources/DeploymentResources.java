package io.moeoperator.operator.resources;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudgetBuilder;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The objects shared by all groups of a deployment. */
public final class DeploymentResources {

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

    /** The same budget for clusters before Kubernetes 1.21, which serve only policy/v1beta1. */
    public static io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudget podDisruptionBudgetV1beta1(MoEDeployment moe) {
        return Owned.withDesiredHash(new io.fabric8.kubernetes.api.model.policy.v1beta1.PodDisruptionBudgetBuilder()
                .withMetadata(Owned.metadata(moe, moe.getMetadata().getName(), Labels.common(moe)))
                .withNewSpec()
                    .withMaxUnavailable(new IntOrString(1))
                    .withNewSelector().withMatchLabels(Labels.servingSelector(moe)).endSelector()
                .endSpec()
                .build());
    }

    /**
     * The ranks' shared secret: 32 random bytes. The key is the one thing not derived from the spec:
     * the reconciler passes the key the Secret holds (so it is kept), or a fresh one when there is
     * none or it is unusable. The pod template carries its digest, so a new key is a new revision
     * and groups move to it one at a time.
     */
    public static Secret expertSecret(MoEDeployment moe, byte[] key) {
        return Owned.withDesiredHash(new SecretBuilder()
                .withMetadata(Owned.metadata(moe, Names.expertSecret(moe), Labels.common(moe)))
                .withType("Opaque")
                .addToData(RuntimeCommand.EP_SECRET_KEY, java.util.Base64.getEncoder().encodeToString(key))
                .build());
    }

    public static final int EXPERT_KEY_BYTES = 32;

    /** The key a Secret holds when it is usable (32 bytes under the expected key), else null. */
    public static byte[] expertKey(Secret secret) {
        if (secret == null || secret.getData() == null) return null;
        String encoded = secret.getData().get(RuntimeCommand.EP_SECRET_KEY);
        try {
            byte[] key = encoded == null ? null : java.util.Base64.getDecoder().decode(encoded);
            return key != null && key.length == EXPERT_KEY_BYTES ? key : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** A short digest of the key for the pod template; reveals nothing of the key. */
    public static String expertKeyDigest(byte[] key) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(key);
            return java.util.HexFormat.of().formatHex(digest, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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

}
