package io.moeoperator.operator.it;

import static io.moeoperator.operator.it.RealApiServer.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.moeoperator.operator.chart.HelmChart;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The chart's manifests (default and non-default values) and deploy/install.yaml, accepted by a
 * real kube-apiserver: a server-side-apply dry run of every object, as `kubectl apply --server-side
 * --dry-run=server` does. Kubernetes 1.20 drops unknown fields of built-in kinds silently instead
 * of refusing them, so each answer must also still hold every field that was sent: a misspelt key
 * in a template fails here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChartManifestsIT {
    KubernetesClient client;

    @BeforeAll
    void connect() {
        client = RealApiServer.newClient();
        for (String ns : List.of("chart-system", "chart-team-a", "chart-team-b", HelmChart.NAMESPACE)) {
            RealApiServer.createNamespace(client, ns);
        }
    }

    @AfterAll
    void disconnect() {
        client.close();
    }

    @Test
    void defaultValuesAreAccepted() {
        List<GenericKubernetesResource> objects = HelmChart.renderObjects("moe-operator", "chart-system", Map.of());
        assertEquals(7, objects.size());
        dryRunEach(objects);
    }

    @Test
    void nonDefaultValuesIncludingTheServiceMonitorAreAccepted() {
        List<GenericKubernetesResource> objects = HelmChart.renderObjects("moe", "chart-system", Map.of(
                "watchNamespaces", List.of("chart-team-a", "chart-team-b"),
                "replicas", 1,
                "leaderElection", Map.of("enabled", false),
                "serviceMonitor", Map.of("enabled", true),
                "metrics", Map.of("port", 9090, "service", Map.of("enabled", true, "type", "NodePort")),
                "nodeSelector", Map.of("kubernetes.io/os", "linux"),
                "tolerations", List.of(Map.of("key", "dedicated", "operator", "Equal", "value", "ops", "effect", "NoSchedule")),
                "imagePullSecrets", List.of(Map.of("name", "registry")),
                "podAnnotations", Map.of("example.com/team", "ml")));
        assertTrue(objects.stream().anyMatch(o -> o.getKind().equals("ServiceMonitor")));
        // The Prometheus Operator's CRD, for as long as this test needs it (other tests expect it absent).
        CustomResourceDefinition crd = client.apiextensions().v1().customResourceDefinitions()
                .resource(OperatorLifecycleIT.serviceMonitorCrd()).create();
        try {
            client.apiextensions().v1().customResourceDefinitions().resource(crd).waitUntilCondition(c -> c.getStatus() != null
                    && c.getStatus().getConditions().stream().anyMatch(x -> x.getType().equals("Established") && x.getStatus().equals("True")),
                    30, TimeUnit.SECONDS);
            await(ClusterFixture.WAIT, () -> assertTrue(client.supports("monitoring.coreos.com/v1", "ServiceMonitor")));
            dryRunEach(objects);
        } finally {
            client.apiextensions().v1().customResourceDefinitions().resource(crd).delete();
            await(ClusterFixture.WAIT, () -> assertFalse(client.supports("monitoring.coreos.com/v1", "ServiceMonitor")));
        }
    }

    @Test
    void installYamlIsAccepted() throws IOException {
        List<GenericKubernetesResource> objects = HelmChart.parse(Files.readString(HelmChart.INSTALL_YAML));
        assertEquals(List.of("Namespace", "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding",
                "Role", "RoleBinding", "Service", "Deployment"), objects.stream().map(GenericKubernetesResource::getKind).toList());
        dryRunEach(objects);
    }

    private void dryRunEach(List<GenericKubernetesResource> objects) {
        List<String> refused = new ArrayList<>();
        for (GenericKubernetesResource object : objects) {
            String what = object.getKind() + " " + object.getMetadata().getName();
            try {
                GenericKubernetesResource answer = client.resource(object).dryRun()
                        .fieldManager("chart-test").forceConflicts().serverSideApply();
                List<String> dropped = new ArrayList<>();
                droppedFields(asMap(object), asMap(answer), "", dropped);
                if (!dropped.isEmpty()) refused.add(what + ": the API server dropped " + dropped + " (misspelt or misplaced?)");
            } catch (KubernetesClientException e) {
                refused.add(what + ": " + e.getMessage());
            }
        }
        if (!refused.isEmpty()) fail(String.join("\n", refused));
    }

    private Map<?, ?> asMap(GenericKubernetesResource object) {
        return client.getKubernetesSerialization().convertValue(object, Map.class);
    }

    /**
     * Paths present in what was sent but missing from what the server kept. A zero value (0, false,
     * "", empty) that the server leaves out means the same as the default, so it does not count.
     */
    static void droppedFields(Object sent, Object kept, String path, List<String> dropped) {
        if (sent instanceof Map<?, ?> sentMap) {
            if (!(kept instanceof Map<?, ?> keptMap)) {
                dropped.add(path);
                return;
            }
            sentMap.forEach((key, value) -> {
                if (!keptMap.containsKey(key)) {
                    if (!isZero(value)) dropped.add(path + "." + key);
                }
                else droppedFields(value, keptMap.get(key), path + "." + key, dropped);
            });
        } else if (sent instanceof List<?> sentList) {
            if (!(kept instanceof List<?> keptList) || keptList.size() < sentList.size()) {
                dropped.add(path);
                return;
            }
            for (int i = 0; i < sentList.size(); i++) droppedFields(sentList.get(i), keptList.get(i), path + "[" + i + "]", dropped);
        }
    }

    static boolean isZero(Object value) {
        return value == null || Objects.equals(value, 0) || Objects.equals(value, false) || Objects.equals(value, "")
                || value instanceof Map<?, ?> m && m.isEmpty() || value instanceof List<?> l && l.isEmpty();
    }
}
