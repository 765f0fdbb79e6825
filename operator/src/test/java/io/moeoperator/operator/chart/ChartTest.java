package io.moeoperator.operator.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** helm/moe-operator linted and rendered by the real Helm library, for default and other values. */
class ChartTest {
    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    /** Non-default values that switch every optional part: namespaced RBAC, no election, ServiceMonitor. */
    static final Map<String, Object> NAMESPACED = Map.of(
            "watchNamespaces", List.of("team-a", "team-b"),
            "replicas", 1,
            "leaderElection", Map.of("enabled", false),
            "serviceMonitor", Map.of("enabled", true, "labels", Map.of("release", "prometheus")),
            "image", Map.of("tag", "dev", "pullPolicy", "Never"),
            "logLevel", "debug");

    /** Default values as release "moe-operator", others as release "moe" (so names get the chart's suffix). */
    static List<GenericKubernetesResource> render(Map<String, ?> values) {
        return HelmChart.renderObjects(values.isEmpty() ? "moe-operator" : "moe", "moe-system", values);
    }

    static List<String> kinds(List<GenericKubernetesResource> objects) {
        return objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()
                + (o.getMetadata().getNamespace() == null ? "" : "@" + o.getMetadata().getNamespace())).toList();
    }

    static <T> T as(GenericKubernetesResource object, Class<T> type) {
        return SERIALIZATION.convertValue(object, type);
    }

    static GenericKubernetesResource only(List<GenericKubernetesResource> objects, String kind) {
        List<GenericKubernetesResource> found = objects.stream().filter(o -> o.getKind().equals(kind)).toList();
        assertEquals(1, found.size(), "one " + kind + " in " + kinds(objects));
        return found.get(0);
    }

    static List<String> args(List<GenericKubernetesResource> objects) {
        return as(only(objects, "Deployment"), Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    }

    @Test
    void lintsCleanWithDefaultValues() {
        LintResult lint = new Helm(HelmChart.DIR).lint().strict().call();
        assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
    }

    @Test
    void lintsCleanWithNonDefaultValues(@TempDir Path dir) throws IOException {
        // helm lint reads the chart's own values.yaml: lint a copy whose values.yaml has the overrides merged in.
        Path chart = dir.resolve("moe-operator");
        try (Stream<Path> files = Files.walk(HelmChart.DIR)) {
            for (Path file : files.toList()) {
                Path target = chart.resolve(HelmChart.DIR.relativize(file).toString());
                if (Files.isDirectory(file)) Files.createDirectories(target);
                else Files.copy(file, target);
            }
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> values = SERIALIZATION.unmarshal(Files.readString(chart.resolve("values.yaml")), Map.class);
        Files.writeString(chart.resolve("values.yaml"), SERIALIZATION.asYaml(merge(values, NAMESPACED)));
        LintResult lint = new Helm(chart).lint().strict().call();
        assertFalse(lint.isFailed(), String.join("\n", lint.getMessages()));
    }

    @Test
    void defaultInstallWatchesEveryNamespaceThroughAClusterRole() {
        List<GenericKubernetesResource> objects = render(Map.of());
        assertEquals(List.of("ServiceAccount/moe-operator@moe-system", "ClusterRole/moe-operator", "ClusterRoleBinding/moe-operator",
                "Role/moe-operator-leader-election@moe-system", "RoleBinding/moe-operator-leader-election@moe-system",
                "Service/moe-operator-metrics@moe-system", "Deployment/moe-operator@moe-system"), kinds(objects));
        Map<String, Object> subject = subject(only(objects, "ClusterRoleBinding"));
        assertEquals(Map.of("kind", "ServiceAccount", "name", "moe-operator", "namespace", "moe-system"), subject);
        assertEquals(List.of("--http-port=8080", "--runtime-image=ghcr.io/moe-operator/moe-runtime:0.1.0",
                "--cuda-runtime-image=ghcr.io/moe-operator/moe-runtime:0.1.0-cuda", "--expert-port=29500", "--prometheus-url=http://prometheus.monitoring:9090",
                "--lease-name=moe-operator-leader", "--lease-namespace=moe-system"), args(objects));
        Deployment deployment = as(only(objects, "Deployment"), Deployment.class);
        assertEquals(2, deployment.getSpec().getReplicas(), "a leader and a standby");
        assertEquals("ghcr.io/moe-operator/moe-operator:0.1.0", deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
    }

    @Test
    void watchedNamespacesGetRolesAndNothingClusterWide() {
        List<GenericKubernetesResource> objects = render(NAMESPACED);
        assertEquals(List.of("ServiceAccount/moe-moe-operator@moe-system", "Role/moe-moe-operator@team-a", "Role/moe-moe-operator@team-b",
                "RoleBinding/moe-moe-operator@team-a", "RoleBinding/moe-moe-operator@team-b", "Service/moe-moe-operator-metrics@moe-system",
                "Deployment/moe-moe-operator@moe-system", "ServiceMonitor/moe-moe-operator@moe-system"), kinds(objects));
        assertEquals(List.of("--http-port=8080", "--runtime-image=ghcr.io/moe-operator/moe-runtime:0.1.0",
                "--cuda-runtime-image=ghcr.io/moe-operator/moe-runtime:0.1.0-cuda", "--expert-port=29500", "--prometheus-url=http://prometheus.monitoring:9090",
                "--namespace=team-a,team-b", "--no-leader-election"), args(objects));
        Deployment deployment = as(only(objects, "Deployment"), Deployment.class);
        var container = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("ghcr.io/moe-operator/moe-operator:dev", container.getImage());
        assertEquals("Never", container.getImagePullPolicy());
        assertTrue(container.getEnv().get(0).getValue().contains("-Dorg.slf4j.simpleLogger.defaultLogLevel=debug"), container.getEnv().toString());
        GenericKubernetesResource monitor = only(objects, "ServiceMonitor");
        assertEquals("prometheus", monitor.getMetadata().getLabels().get("release"));
        // The monitor selects the metrics Service by labels it really has.
        @SuppressWarnings("unchecked")
        Map<String, String> selector = (Map<String, String>) ((Map<String, Object>) ((Map<String, Object>) monitor.getAdditionalProperties()
                .get("spec")).get("selector")).get("matchLabels");
        assertTrue(only(objects, "Service").getMetadata().getLabels().entrySet().containsAll(selector.entrySet()), selector.toString());
    }

    @Test
    void rulesNameEveryVerbAndResourceWithoutWildcardsAndSecretsOnlyAsNeeded() {
        for (Map<String, ?> values : List.of(Map.<String, Object>of(), NAMESPACED)) {
            List<GenericKubernetesResource> roles = render(values).stream()
                    .filter(o -> o.getKind().equals("ClusterRole") || o.getKind().equals("Role")).toList();
            assertFalse(roles.isEmpty());
            for (GenericKubernetesResource role : roles) {
                for (PolicyRule rule : as(role, io.fabric8.kubernetes.api.model.rbac.Role.class).getRules()) {
                    List<String> all = Stream.of(rule.getApiGroups(), rule.getResources(), rule.getVerbs()).flatMap(List::stream).toList();
                    assertFalse(all.contains("*"), role.getMetadata().getName() + ": wildcard in " + rule);
                    if (rule.getResources().contains("secrets")) {
                        // Only each expert-parallel deployment's shared secret, read and applied by name: never list or watch them.
                        assertEquals(List.of("secrets"), rule.getResources(), rule.toString());
                        assertEquals(List.of("get", "create", "patch"), rule.getVerbs(), role.getMetadata().getName() + ": " + rule);
                    }
                    assertTrue(rule.getNonResourceURLs() == null || rule.getNonResourceURLs().isEmpty(), rule.toString());
                }
            }
        }
    }

    @Test
    void operatorPodRunsAsNonRootOnAReadOnlyRootFilesystem() {
        Deployment deployment = as(only(render(Map.of()), "Deployment"), Deployment.class);
        var pod = deployment.getSpec().getTemplate().getSpec();
        var container = pod.getContainers().get(0);
        assertTrue(pod.getSecurityContext().getRunAsNonRoot());
        assertEquals(1000L, pod.getSecurityContext().getRunAsUser());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        assertTrue(container.getSecurityContext().getReadOnlyRootFilesystem());
        assertFalse(container.getSecurityContext().getAllowPrivilegeEscalation());
        assertEquals(List.of("ALL"), container.getSecurityContext().getCapabilities().getDrop());
        assertEquals("/tmp", container.getVolumeMounts().get(0).getMountPath(), "the JVM needs a writable /tmp");
        assertEquals("/readyz", container.getReadinessProbe().getHttpGet().getPath());
        assertEquals("/healthz", container.getLivenessProbe().getHttpGet().getPath());
        assertEquals("http-metrics", container.getPorts().get(0).getName());
    }

    @Test
    void badValuesAreRefusedNamingTheKey() {
        Map<Map<String, Object>, String> cases = new LinkedHashMap<>();
        cases.put(Map.of("replicas", -1), "/replicas");
        cases.put(Map.of("image", Map.of("pullPolicy", "Sometimes")), "/image/pullPolicy");
        cases.put(Map.of("watchNamespaces", "team-a"), "/watchNamespaces");
        cases.put(Map.of("watchNamespaces", List.of("Team_A")), "/watchNamespaces/0");
        cases.put(Map.of("logLevel", "verbose"), "/logLevel");
        cases.put(Map.of("expertPort", 70000), "/expertPort");
        cases.put(Map.of("serviceMonitor", Map.of("enabled", "yes")), "/serviceMonitor/enabled");
        cases.put(Map.of("watchNamespace", List.of("a")), "additional properties 'watchNamespace' not allowed");
        cases.put(Map.of("leaderElection", Map.of("enabled", false)), "replicas: 2 replicas without leader election");
        cases.put(Map.of("serviceMonitor", Map.of("enabled", true), "metrics", Map.of("service", Map.of("enabled", false))),
                "set metrics.service.enabled=true");
        cases.forEach((values, message) -> {
            Exception e = assertThrows(Exception.class, () -> render(values), "accepted " + values);
            assertTrue(e.getMessage().contains(message), values + " refused, but without '" + message + "': " + e.getMessage());
        });
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> subject(GenericKubernetesResource binding) {
        return ((List<Map<String, Object>>) binding.getAdditionalProperties().get("subjects")).get(0);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> overrides) {
        Map<String, Object> merged = new HashMap<>(base);
        overrides.forEach((key, value) -> merged.merge(key, value, (old, add) -> old instanceof Map && add instanceof Map
                ? merge((Map<String, Object>) old, (Map<String, Object>) add) : add));
        return merged;
    }
}
