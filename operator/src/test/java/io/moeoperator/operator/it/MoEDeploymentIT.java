package io.moeoperator.operator.it;

import static io.moeoperator.operator.it.RealApiServer.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.moeoperator.operator.MoEOperator;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.OperatorHttpServer;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.api.ShardAssignment;
import io.moeoperator.operator.resources.Labels;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The operator, in-process, against a real kube-apiserver + etcd with the CRD from crds/ and a real
 * kube-controller-manager (StatefulSet controller, garbage collector). No kubelet runs:
 * {@link ClusterFixture#markReady} stands in for it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MoEDeploymentIT {
    KubernetesClient client;
    ClusterFixture cluster;
    MoEOperator operator;
    PrometheusMeterRegistry registry;

    @BeforeAll
    void startOperator() {
        client = RealApiServer.newClient();
        cluster = new ClusterFixture(client);
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        operator = new MoEOperator(client, OperatorConfig.defaults(), registry, null, Clock.systemUTC());
        operator.start();
    }

    @AfterAll
    void stopOperator() {
        if (operator != null) operator.close();
        if (client != null) client.close();
    }

    @Test
    void tinyCpuExampleBecomesOneGroupOfTwoRanks() throws Exception {
        String ns = "create";
        RealApiServer.createNamespace(client, ns);
        long t0 = System.nanoTime();
        MoEDeployment created = cluster.createFromFile(ns, "deploy/examples/tiny-cpu.yaml");
        String revision = cluster.revision(ns, "tiny-cpu");
        await(ClusterFixture.WAIT, () -> {
            assertNotNull(cluster.sts(ns, "tiny-cpu-g0-" + revision));
            assertNotNull(client.services().inNamespace(ns).withName("tiny-cpu-g0-peers").get());
            assertNotNull(client.services().inNamespace(ns).withName("tiny-cpu").get());
            assertNotNull(client.policy().v1beta1().podDisruptionBudget().inNamespace(ns).withName("tiny-cpu").get(),
                    "Kubernetes 1.20 serves PodDisruptionBudgets as policy/v1beta1");
        });
        System.out.printf("create -> all children present: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertTrue(client.configMaps().inNamespace(ns).withLabel(Labels.MANAGED_BY, Labels.OPERATOR).list().getItems().isEmpty(),
                "the shard plan reaches the runtime as flags only");

        StatefulSet sts = cluster.sts(ns, "tiny-cpu-g0-" + revision);
        assertEquals(2, sts.getSpec().getReplicas());
        await(ClusterFixture.WAIT, () -> assertEquals(List.of("tiny-cpu-g0-" + revision + "-0", "tiny-cpu-g0-" + revision + "-1"),
                cluster.servingPods(ns, "tiny-cpu").stream().map(p -> p.getMetadata().getName()).sorted().toList(),
                "the StatefulSet controller made one pod per rank"));
        assertTrue(cluster.servingPods(ns, "tiny-cpu").stream().allMatch(p -> revision.equals(p.getMetadata().getLabels().get(Labels.REVISION))));
        var pod = sts.getSpec().getTemplate();
        assertEquals("true", pod.getMetadata().getAnnotations().get("prometheus.io/scrape"),
                "no ServiceMonitor CRD in this cluster: scrape annotations instead");
        assertTrue(pod.getSpec().getContainers().get(0).getArgs().containsAll(List.of("--ep-size", "2", "--ep-experts", "0-3,4-7")));
        assertFalse(client.supports("policy/v1", "PodDisruptionBudget"), "Kubernetes 1.20 serves no policy/v1");
        var secret = client.secrets().inNamespace(ns).withName("tiny-cpu-ep").get();
        assertNotNull(secret, "the ranks' shared secret");
        assertEquals(32, java.util.Base64.getDecoder().decode(secret.getData().get("secret")).length);

        cluster.awaitCondition(ns, "tiny-cpu", "Ready", "False", "GroupsNotReady");
        MoEDeployment moe = cluster.moe(ns, "tiny-cpu");
        assertEquals(List.of(new ShardAssignment(0, "0-3", 4), new ShardAssignment(1, "4-7", 4)), moe.getStatus().getShardPlan());
        assertEquals("4", moe.getStatus().getExpertsPerPod());
        assertEquals("http://tiny-cpu.create.svc:8000/v1", moe.getStatus().getEndpoint());
        assertEquals(Labels.DEPLOYMENT + "=tiny-cpu," + Labels.COMPONENT + "=serving", moe.getStatus().getSelector());

        cluster.markGroupReady(ns, "tiny-cpu", 0);
        cluster.awaitCondition(ns, "tiny-cpu", "Ready", "True", "AllGroupsReady");
        cluster.awaitCondition(ns, "tiny-cpu", "Progressing", "False", "Complete");
        cluster.awaitCondition(ns, "tiny-cpu", "Degraded", "False", "AsExpected");
        assertEquals("1/1", cluster.moe(ns, "tiny-cpu").getStatus().getReady());
        assertTrue(cluster.eventReasons(ns, "tiny-cpu").containsAll(List.of("ScalingUp", "RolloutComplete")),
                cluster.eventReasons(ns, "tiny-cpu").toString());

        String table = Kubectl.run(RealApiServer.kubeConfigYaml(), "get", "moe", "-n", ns);
        assertTrue(table.lines().findFirst().orElseThrow().matches("NAME\\s+READY\\s+REPLICAS\\s+EP\\s+EXPERTS/POD\\s+MODEL\\s+AGE"), table);
        assertTrue(table.contains("tiny-cpu") && table.contains("1/1") && table.contains("synthetic://"), table);
        assertEquals(created.getMetadata().getUid(), moe.getMetadata().getUid());
        assertEquals(secret.getMetadata().getResourceVersion(),
                client.secrets().inNamespace(ns).withName("tiny-cpu-ep").get().getMetadata().getResourceVersion(),
                "made once, never rewritten");
    }

    @Test
    void scaleSubresourceAddsAndRemovesWholeGroups() throws Exception {
        String ns = "scale";
        RealApiServer.createNamespace(client, ns);
        cluster.createFromFile(ns, "deploy/examples/tiny-cpu.yaml");
        cluster.markGroupReady(ns, "tiny-cpu", 0);
        cluster.awaitCondition(ns, "tiny-cpu", "Ready", "True", "AllGroupsReady");
        String revision = cluster.revision(ns, "tiny-cpu");

        Kubectl.run(RealApiServer.kubeConfigYaml(), "scale", "moe/tiny-cpu", "-n", ns, "--replicas=3");
        await(ClusterFixture.WAIT, () -> assertEquals(List.of("tiny-cpu-g0-" + revision, "tiny-cpu-g1-" + revision, "tiny-cpu-g2-" + revision),
                cluster.statefulSetNames(ns), "scaling adds groups on the same revision"));
        cluster.awaitCondition(ns, "tiny-cpu", "Progressing", "True", "GroupsStarting");
        cluster.markGroupReady(ns, "tiny-cpu", 1);
        cluster.markGroupReady(ns, "tiny-cpu", 2);
        cluster.awaitCondition(ns, "tiny-cpu", "Ready", "True", "AllGroupsReady");
        MoEDeployment moe = cluster.moe(ns, "tiny-cpu");
        assertEquals(List.of(3, 3, "3/3"), List.of(moe.getStatus().getReplicas(), moe.getStatus().getReadyReplicas(), moe.getStatus().getReady()));

        client.resources(MoEDeployment.class).inNamespace(ns).withName("tiny-cpu").scale(1);
        await(ClusterFixture.WAIT, () -> assertEquals(List.of("tiny-cpu-g0-" + revision), cluster.statefulSetNames(ns)));
        await(ClusterFixture.WAIT, () -> {
            assertNull(client.services().inNamespace(ns).withName("tiny-cpu-g1-peers").get());
            assertNull(client.services().inNamespace(ns).withName("tiny-cpu-g2-peers").get());
        });
        await(ClusterFixture.WAIT, () -> assertEquals(1, cluster.moe(ns, "tiny-cpu").getStatus().getReplicas()));
        assertTrue(cluster.eventReasons(ns, "tiny-cpu").contains("ScalingDown"));
        assertEquals(1, client.resources(MoEDeployment.class).inNamespace(ns).withName("tiny-cpu").scale().getStatus().getReplicas());
    }

    @Test
    void aChangedImageStartsEachGroupsNewRevisionBesideTheOldOneGroupAtATime() {
        String ns = "rollout";
        RealApiServer.createNamespace(client, ns);
        cluster.createFromYaml(ns, """
                apiVersion: serving.moe-operator.io/v1alpha1
                kind: MoEDeployment
                metadata: {name: roll}
                spec: {model: {uri: 'synthetic://?experts=4'}, replicas: 3, image: 'runtime:1'}
                """);
        String old = cluster.revision(ns, "roll");
        for (int g = 0; g < 3; g++) cluster.markGroupReady(ns, "roll", g);
        cluster.awaitCondition(ns, "roll", "Ready", "True", "AllGroupsReady");

        cluster.edit(ns, "roll", m -> withImage(m, "runtime:2"));
        String next = cluster.revision(ns, "roll");
        assertFalse(old.equals(next), "a new image is a new revision");
        for (int g = 0; g < 3; g++) {
            int group = g;
            await(ClusterFixture.WAIT, () -> assertEquals("runtime:2", image(ns, "roll-g" + group + "-" + next)));
            cluster.awaitCondition(ns, "roll", "Progressing", "True", group < 2 ? "RollingUpdate" : "GroupsStarting");
            assertNotNull(cluster.sts(ns, "roll-g" + g + "-" + old), "the old revision serves until the new one is ready");
            for (int later = g + 1; later < 3; later++) {
                assertNull(cluster.sts(ns, "roll-g" + later + "-" + next), "group " + later + " waits while group " + g + " starts");
            }
            assertEquals("3/3", cluster.moe(ns, "roll").getStatus().getReady(), "Surge keeps every group serving");
            cluster.markReady(ns, "roll-g" + g + "-" + next);
            await(ClusterFixture.WAIT, () -> assertNull(cluster.sts(ns, "roll-g" + group + "-" + old)));
        }
        cluster.awaitCondition(ns, "roll", "Progressing", "False", "Complete");
        cluster.awaitCondition(ns, "roll", "Ready", "True", "AllGroupsReady");
        assertEquals(List.of("roll-g0-" + next, "roll-g1-" + next, "roll-g2-" + next), cluster.statefulSetNames(ns));
        assertTrue(cluster.eventReasons(ns, "roll").containsAll(List.of("RollingUpdate", "GroupReplaced", "RolloutComplete")),
                cluster.eventReasons(ns, "roll").toString());
    }

    @Test
    void recreateStopsEachGroupsOldRevisionBeforeStartingTheNewOne() {
        String ns = "recreate";
        RealApiServer.createNamespace(client, ns);
        cluster.createFromYaml(ns, """
                apiVersion: serving.moe-operator.io/v1alpha1
                kind: MoEDeployment
                metadata: {name: tight}
                spec: {model: {uri: 'synthetic://?experts=4'}, replicas: 2, image: 'runtime:1', updateStrategy: {type: Recreate}}
                """);
        String old = cluster.revision(ns, "tight");
        for (int g = 0; g < 2; g++) cluster.markGroupReady(ns, "tight", g);
        cluster.awaitCondition(ns, "tight", "Ready", "True", "AllGroupsReady");

        cluster.edit(ns, "tight", m -> withImage(m, "runtime:2"));
        String next = cluster.revision(ns, "tight");
        await(ClusterFixture.WAIT, () -> assertEquals(List.of("tight-g0-" + next, "tight-g1-" + old), cluster.statefulSetNames(ns),
                "group 0's old revision is gone before its new one runs; group 1 waits"));
        cluster.markReady(ns, "tight-g0-" + next);
        await(ClusterFixture.WAIT, () -> assertEquals(List.of("tight-g0-" + next, "tight-g1-" + next), cluster.statefulSetNames(ns)));
        cluster.markReady(ns, "tight-g1-" + next);
        cluster.awaitCondition(ns, "tight", "Progressing", "False", "Complete");
    }

    @Test
    void anInvalidSpecIsReportedChangesNothingAndRecovers() {
        String ns = "invalid";
        RealApiServer.createNamespace(client, ns);
        cluster.createFromYaml(ns, """
                apiVersion: serving.moe-operator.io/v1alpha1
                kind: MoEDeployment
                metadata: {name: bad}
                spec: {model: {uri: 'synthetic://?experts=8'}, expertParallelism: 3}
                """);
        cluster.awaitCondition(ns, "bad", "Ready", "False", "InvalidSpec");
        String message = cluster.condition(ns, "bad", "Ready").getMessage();
        assertTrue(message.contains("spec.expertParallelism: 3 does not divide the 8 routed experts"), message);
        cluster.awaitCondition(ns, "bad", "Degraded", "True", "InvalidSpec");
        assertTrue(cluster.eventReasons(ns, "bad").contains("InvalidSpec"));
        assertTrue(cluster.statefulSetNames(ns).isEmpty(), "nothing half-created");
        assertTrue(client.services().inNamespace(ns).list().getItems().isEmpty());
        assertTrue(client.secrets().inNamespace(ns).withLabel(Labels.MANAGED_BY).list().getItems().isEmpty());

        cluster.edit(ns, "bad", m -> withExpertParallelism(m, 2));
        String revision = cluster.revision(ns, "bad");
        await(ClusterFixture.WAIT, () -> assertEquals(List.of("bad-g0-" + revision), cluster.statefulSetNames(ns)));
        cluster.markGroupReady(ns, "bad", 0);
        cluster.awaitCondition(ns, "bad", "Ready", "True", "AllGroupsReady");

        // Broken again: the running group keeps serving the last valid spec, untouched.
        String before = cluster.sts(ns, "bad-g0-" + revision).getMetadata().getResourceVersion();
        cluster.edit(ns, "bad", m -> withUri(m, "s3://models/m.gguf"));
        cluster.awaitCondition(ns, "bad", "Ready", "False", "InvalidSpec");
        assertTrue(cluster.condition(ns, "bad", "Ready").getMessage().contains("spec.model.uri: 's3://models/m.gguf' has an unknown scheme"));
        assertEquals(before, cluster.sts(ns, "bad-g0-" + revision).getMetadata().getResourceVersion());

        // The API server itself refuses what the schema forbids, naming the field.
        var refused = assertThrows(KubernetesClientException.class, () -> cluster.createFromYaml(ns, """
                apiVersion: serving.moe-operator.io/v1alpha1
                kind: MoEDeployment
                metadata: {name: negative}
                spec: {model: {uri: 'synthetic://'}, replicas: -1}
                """));
        assertTrue(refused.getMessage().contains("spec.replicas"), refused.getMessage());
    }

    @Test
    void aGroupThatNeverBecomesReadyMarksTheDeploymentDegraded() {
        String ns = "degraded";
        RealApiServer.createNamespace(client, ns);
        cluster.createFromYaml(ns, """
                apiVersion: serving.moe-operator.io/v1alpha1
                kind: MoEDeployment
                metadata: {name: stuck}
                spec: {model: {uri: 'synthetic://?experts=4'}, replicas: 2, serving: {startupTimeoutSeconds: 10}}
                """);
        await(ClusterFixture.WAIT, () -> assertEquals(2, cluster.statefulSetNames(ns).size()));
        cluster.markGroupReady(ns, "stuck", 0);
        cluster.awaitCondition(ns, "stuck", "Degraded", "False", "AsExpected");
        // Group 1 never gets ready (its pods would be crash-looping): Degraded once its 10 s budget is spent.
        cluster.awaitCondition(ns, "stuck", "Degraded", "True", "GroupsUnavailable");
        assertTrue(cluster.condition(ns, "stuck", "Degraded").getMessage().contains("groups [1] not ready 10 s after"));
        assertTrue(cluster.eventReasons(ns, "stuck").contains("GroupsUnavailable"));
        cluster.markGroupReady(ns, "stuck", 1);
        cluster.awaitCondition(ns, "stuck", "Degraded", "False", "AsExpected");
        cluster.awaitCondition(ns, "stuck", "Ready", "True", "AllGroupsReady");
    }

    @Test
    void everyChildIsOwnedSoDeletingTheResourceCollectsIt() {
        String ns = "delete";
        RealApiServer.createNamespace(client, ns);
        MoEDeployment moe = cluster.createFromFile(ns, "deploy/examples/tiny-cpu.yaml");
        cluster.group(ns, "tiny-cpu", 0);
        await(ClusterFixture.WAIT, () -> assertEquals(2, cluster.servingPods(ns, "tiny-cpu").size()));
        List<HasMetadata> children = new ArrayList<>();
        children.addAll(client.apps().statefulSets().inNamespace(ns).list().getItems());
        children.addAll(client.services().inNamespace(ns).list().getItems());
        children.addAll(client.secrets().inNamespace(ns).withLabel(Labels.MANAGED_BY, Labels.OPERATOR).list().getItems());
        children.addAll(client.policy().v1beta1().podDisruptionBudget().inNamespace(ns).list().getItems());
        assertEquals(5, children.size(), children.stream().map(c -> c.getMetadata().getName()).toList().toString());
        for (HasMetadata child : children) {
            OwnerReference owner = child.getMetadata().getOwnerReferences().get(0);
            assertEquals(List.of(moe.getMetadata().getUid(), true, true), List.of(owner.getUid(), owner.getController(), owner.getBlockOwnerDeletion()),
                    child.getKind() + " " + child.getMetadata().getName());
        }
        client.resource(moe).delete();
        await(ClusterFixture.WAIT, () -> assertNull(cluster.moe(ns, "tiny-cpu")));
        // Kubernetes' garbage collector (the real one) removes every child, pods included; the
        // operator must not bring anything back meanwhile.
        await(ClusterFixture.WAIT, () -> {
            assertTrue(cluster.statefulSetNames(ns).isEmpty(), cluster.statefulSetNames(ns).toString());
            assertTrue(client.services().inNamespace(ns).list().getItems().isEmpty());
            assertTrue(client.secrets().inNamespace(ns).withLabel(Labels.MANAGED_BY, Labels.OPERATOR).list().getItems().isEmpty());
            assertTrue(client.policy().v1beta1().podDisruptionBudget().inNamespace(ns).list().getItems().isEmpty());
            assertTrue(cluster.servingPods(ns, "tiny-cpu").isEmpty());
        });
        RealApiServer.sleepQuietly(2000);
        assertTrue(cluster.statefulSetNames(ns).isEmpty());
    }

    @Test
    void deepseekV2LiteExampleIsOneGroupOfTwoCpuRanksSizedForTheModel() {
        String ns = "v2-lite";
        RealApiServer.createNamespace(client, ns);
        cluster.createFromFile(ns, "deploy/examples/deepseek-v2-lite.yaml");
        var container = cluster.group(ns, "deepseek-v2-lite", 0).getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("26Gi", container.getResources().getLimits().get("memory").toString());
        assertNull(container.getResources().getLimits().get("nvidia.com/gpu"));
        assertEquals(OperatorConfig.DEFAULT_RUNTIME_IMAGE, container.getImage());
        List<String> args = container.getArgs();
        assertTrue(args.containsAll(List.of("--model", "hf://deepseek-ai/DeepSeek-V2-Lite-Chat", "--kv-cache-memory",
                String.valueOf(4L << 30), "--context-length", "8192", "--ep-experts", "0-31,32-63")), args.toString());
        assertFalse(args.contains("--model-file") || args.contains("--model-format"), "the runtime detects a whole checkpoint: " + args);
        cluster.awaitCondition(ns, "deepseek-v2-lite", "Ready", "False", "GroupsNotReady");
        assertEquals("32", cluster.moe(ns, "deepseek-v2-lite").getStatus().getExpertsPerPod());
    }

    @Test
    void operatorHealthAndMetrics() throws Exception {
        try (OperatorHttpServer http = new OperatorHttpServer("127.0.0.1", 0, operator.operator(), registry)) {
            HttpClient web = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + http.port();
            assertEquals(200, web.send(HttpRequest.newBuilder(URI.create(base + "/healthz")).build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            await(ClusterFixture.WAIT, () -> assertEquals(200, get(web, base + "/readyz").statusCode()));
            String metrics = get(web, base + "/metrics").body();
            assertTrue(metrics.contains("operator_sdk_"), "JOSDK reconcile metrics: " + metrics.lines().limit(20).toList());
        }
    }

    private static HttpResponse<String> get(HttpClient web, String url) {
        try {
            return web.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private String image(String ns, String sts) {
        StatefulSet s = cluster.sts(ns, sts);
        assertNotNull(s, "no StatefulSet " + sts);
        return s.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();
    }

    static MoEDeployment withImage(MoEDeployment m, String image) {
        return edit(m, Map.of("image", image));
    }

    static MoEDeployment withExpertParallelism(MoEDeployment m, int ep) {
        return edit(m, Map.of("expertParallelism", ep));
    }

    static MoEDeployment withUri(MoEDeployment m, String uri) {
        return edit(m, Map.of("model", Map.of("uri", uri)));
    }

    /** Merges fields into the spec (the spec records are immutable, as users' YAML is to the operator). */
    @SuppressWarnings("unchecked")
    static MoEDeployment edit(MoEDeployment m, Map<String, Object> fields) {
        var json = io.fabric8.kubernetes.client.utils.Serialization.jsonMapper();
        Map<String, Object> spec = json.convertValue(m.getSpec(), Map.class);
        spec.putAll(fields);
        m.setSpec(json.convertValue(spec, io.moeoperator.operator.api.MoEDeploymentSpec.class));
        return m;
    }

}
