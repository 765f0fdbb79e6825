package io.moeoperator.operator.it;

import static io.moeoperator.operator.it.RealApiServer.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.moeoperator.operator.MoEOperator;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.OperatorHttpServer;
import io.moeoperator.operator.chart.HelmChart;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The operator, holding exactly the chart's RBAC and nothing else, reconciles an example without a
 * single forbidden call. The chart's RBAC objects are created for real; the operator's client
 * impersonates the chart's ServiceAccount, and every HTTP answer it gets is watched for a 403.
 * The last test takes one permission away and checks that the watch notices.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChartRbacIT {
    static final List<String> RBAC_KINDS = List.of("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");
    KubernetesClient admin;
    ClusterFixture cluster;

    @BeforeAll
    void connect() {
        admin = RealApiServer.newClient();
        cluster = new ClusterFixture(admin);
    }

    @AfterAll
    void disconnect() {
        admin.close();
    }

    /** Every request the operator made that the API server answered with 403 Forbidden. */
    static final class ForbiddenCalls implements Interceptor {
        final List<String> calls = new CopyOnWriteArrayList<>();

        @Override
        public void after(HttpRequest request, HttpResponse<?> response, io.fabric8.kubernetes.client.http.AsyncBody.Consumer<List<java.nio.ByteBuffer>> consumer) {
            record(response);
        }

        @Override
        public CompletableFuture<Boolean> afterFailure(BasicBuilder builder, HttpResponse<?> response, RequestTags tags) {
            record(response);
            return CompletableFuture.completedFuture(false);
        }

        private void record(HttpResponse<?> response) {
            if (response.code() == 403) calls.add(response.request().method() + " " + response.request().uri().getPath());
        }
    }

    /** A client with the ServiceAccount's identity, as the operator's pod has. */
    KubernetesClient serviceAccountClient(String namespace, String name, ForbiddenCalls forbidden) {
        Config config = Config.fromKubeconfig(RealApiServer.kubeConfigYaml());
        config.setRequestTimeout(30_000);
        config.setImpersonateUsername("system:serviceaccount:" + namespace + ":" + name);
        config.setImpersonateGroups("system:serviceaccounts", "system:serviceaccounts:" + namespace, "system:authenticated");
        return new KubernetesClientBuilder().withConfig(config)
                .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("forbidden-calls", forbidden)).build();
    }

    /** The chart rendered as release "moe-operator" in releaseNs, and its RBAC objects created. */
    List<GenericKubernetesResource> installRbac(String releaseNs, Map<String, ?> values, String leaveOutResource) {
        List<GenericKubernetesResource> rbac = new ArrayList<>();
        for (GenericKubernetesResource object : HelmChart.renderObjects("moe-operator", releaseNs, values)) {
            if (!RBAC_KINDS.contains(object.getKind())) continue;
            if (leaveOutResource != null && object.getKind().endsWith("Role")) {
                Role role = admin.getKubernetesSerialization().convertValue(object, Role.class);
                role.getRules().removeIf(rule -> rule.getResources().contains(leaveOutResource));
                object = admin.getKubernetesSerialization().convertValue(role, GenericKubernetesResource.class);
                object.setKind(role.getKind());
            }
            rbac.add(admin.resource(object).create());
        }
        return rbac;
    }

    MoEOperator operator(KubernetesClient client, Set<String> namespaces, String leaseNs, String identity, PrometheusMeterRegistry registry) {
        LeaderElectionConfiguration election = new LeaderElectionConfiguration("moe-operator-leader", leaseNs,
                LeaderElectionConfiguration.LEASE_DURATION_DEFAULT_VALUE, LeaderElectionConfiguration.RENEW_DEADLINE_DEFAULT_VALUE,
                LeaderElectionConfiguration.RETRY_PERIOD_DEFAULT_VALUE, identity, null, false);
        OperatorConfig config = OperatorConfig.defaults();
        MoEOperator operator = new MoEOperator(client, new OperatorConfig(config.runtimeImage(), config.cudaRuntimeImage(),
                config.expertPort(), namespaces, config.prometheusUrl()), registry, election, Clock.systemUTC());
        operator.start();
        return operator;
    }

    @Test
    void clusterWideInstallReconcilesScalesAndStandsByWithoutAForbiddenCall() throws Exception {
        String releaseNs = "rbac-system", ns = "rbac-apps";
        RealApiServer.createNamespace(admin, releaseNs);
        RealApiServer.createNamespace(admin, ns);
        installRbac(releaseNs, Map.of(), null);
        // With the Prometheus Operator's CRD the operator also writes a ServiceMonitor.
        CustomResourceDefinition crd = admin.apiextensions().v1().customResourceDefinitions()
                .resource(OperatorLifecycleIT.serviceMonitorCrd()).create();
        ForbiddenCalls forbidden = new ForbiddenCalls();
        HttpClient web = HttpClient.newHttpClient();
        try (KubernetesClient client = serviceAccountClient(releaseNs, "moe-operator", forbidden)) {
            await(ClusterFixture.WAIT, () -> assertTrue(client.supports("monitoring.coreos.com/v1", "ServiceMonitor")));
            var leaderRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            var standbyRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            try (MoEOperator leader = operator(client, Set.of(), releaseNs, "leader", leaderRegistry)) {
                await(ClusterFixture.WAIT, () -> assertEquals("leader",
                        admin.leases().inNamespace(releaseNs).withName("moe-operator-leader").get().getSpec().getHolderIdentity()));
                var acquired = admin.leases().inNamespace(releaseNs).withName("moe-operator-leader").get().getSpec().getRenewTime();
                try (MoEOperator standby = operator(client, Set.of(), releaseNs, "standby", standbyRegistry);
                     OperatorHttpServer standbyHttp = new OperatorHttpServer("127.0.0.1", 0, standby.operator(), standbyRegistry)) {
                    var moe = cluster.createFromFile(ns, "deploy/examples/tiny-cpu.yaml");
                    // What operator 0.1.0 left behind and nothing reads: the operator deletes it.
                    admin.configMaps().inNamespace(ns).resource(new io.fabric8.kubernetes.api.model.ConfigMapBuilder()
                            .withMetadata(io.moeoperator.operator.resources.Owned.metadata(moe, "tiny-cpu-runtime",
                                    io.moeoperator.operator.resources.Labels.common(moe)))
                            .addToData("shard-plan.json", "{}").build()).create();
                    await(ClusterFixture.WAIT, () -> {
                        assertNotNull(cluster.group(ns, "tiny-cpu", 0));
                        assertNotNull(admin.services().inNamespace(ns).withName("tiny-cpu").get());
                        assertNotNull(admin.services().inNamespace(ns).withName("tiny-cpu-g0-peers").get());
                        assertNotNull(admin.secrets().inNamespace(ns).withName("tiny-cpu-ep").get());
                        assertNotNull(admin.policy().v1beta1().podDisruptionBudget().inNamespace(ns).withName("tiny-cpu").get());
                        assertNull(admin.configMaps().inNamespace(ns).withName("tiny-cpu-runtime").get());
                        assertNotNull(admin.genericKubernetesResources("monitoring.coreos.com/v1", "ServiceMonitor")
                                .inNamespace(ns).withName("tiny-cpu").get());
                    });
                    cluster.awaitCondition(ns, "tiny-cpu", "Ready", "False", "GroupsNotReady");
                    assertTrue(cluster.eventReasons(ns, "tiny-cpu").contains("ScalingUp"), cluster.eventReasons(ns, "tiny-cpu").toString());
                    cluster.markGroupReady(ns, "tiny-cpu", 0);
                    cluster.awaitCondition(ns, "tiny-cpu", "Ready", "True", "AllGroupsReady");

                    // Hand edits of every kind of child are repaired with the chart's verbs.
                    String group = cluster.groupName(ns, "tiny-cpu", 0);
                    admin.secrets().inNamespace(ns).withName("tiny-cpu-ep").edit(x -> {
                        x.getMetadata().getLabels().remove(io.moeoperator.operator.resources.Labels.DEPLOYMENT);
                        return x;
                    });
                    // The scale is an event: the reconcile it starts repairs both (the Secret is read each time).
                    admin.apps().statefulSets().inNamespace(ns).withName(group).scale(1);
                    await(ClusterFixture.WAIT, () -> {
                        assertEquals(2, cluster.sts(ns, group).getSpec().getReplicas());
                        assertEquals("tiny-cpu", admin.secrets().inNamespace(ns).withName("tiny-cpu-ep").get().getMetadata().getLabels()
                                .get(io.moeoperator.operator.resources.Labels.DEPLOYMENT));
                    });
                    cluster.markReady(ns, group);

                    // A standby has its informers running (only the leader reconciles), so it is ready:
                    // a rolling update of the operator's Deployment does not wait for a Lease.
                    var readyz = web.send(java.net.http.HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + standbyHttp.port() + "/readyz")).build(), BodyHandlers.ofString());
                    assertEquals(200, readyz.statusCode(), readyz.body());
                    assertEquals("leader", admin.leases().inNamespace(releaseNs).withName("moe-operator-leader").get().getSpec().getHolderIdentity());

                    admin.resources(io.moeoperator.operator.api.MoEDeployment.class).inNamespace(ns).withName("tiny-cpu").scale(2);
                    await(ClusterFixture.WAIT, () -> assertEquals(List.of(0, 1), cluster.groupIndices(ns, "tiny-cpu")));
                    admin.resources(io.moeoperator.operator.api.MoEDeployment.class).inNamespace(ns).withName("tiny-cpu").scale(1);
                    await(ClusterFixture.WAIT, () -> {
                        assertEquals(List.of(0), cluster.groupIndices(ns, "tiny-cpu"));
                        assertNull(admin.services().inNamespace(ns).withName("tiny-cpu-g1-peers").get());
                    });
                }
                // The leader renews its Lease (every 2 s), which a Role without the right verb would refuse.
                await(Duration.ofSeconds(10), () -> assertTrue(admin.leases().inNamespace(releaseNs).withName("moe-operator-leader")
                        .get().getSpec().getRenewTime().isAfter(acquired), "the Lease was never renewed"));
            }
        } finally {
            admin.apiextensions().v1().customResourceDefinitions().resource(crd).delete();
            await(ClusterFixture.WAIT, () -> assertFalse(admin.supports("monitoring.coreos.com/v1", "ServiceMonitor")));
        }
        assertEquals(List.of(), forbidden.calls, "calls the chart's RBAC does not allow");
    }

    @Test
    void namespacedInstallReconcilesWithoutAForbiddenCall() {
        String releaseNs = "rbac-ns-system", ns = "rbac-ns-apps";
        RealApiServer.createNamespace(admin, releaseNs);
        RealApiServer.createNamespace(admin, ns);
        List<GenericKubernetesResource> rbac = installRbac(releaseNs, Map.of("watchNamespaces", List.of(ns)), null);
        assertTrue(rbac.stream().noneMatch(o -> o.getKind().startsWith("Cluster")), "nothing cluster-wide: " + rbac);
        ForbiddenCalls forbidden = new ForbiddenCalls();
        try (KubernetesClient client = serviceAccountClient(releaseNs, "moe-operator", forbidden);
             MoEOperator operator = operator(client, Set.of(ns), releaseNs, "namespaced", new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
            cluster.createFromFile(ns, "deploy/examples/tiny-cpu.yaml");
            cluster.group(ns, "tiny-cpu", 0);
            cluster.awaitCondition(ns, "tiny-cpu", "Ready", "False", "GroupsNotReady");
            assertTrue(cluster.eventReasons(ns, "tiny-cpu").contains("ScalingUp"));
        }
        assertEquals(List.of(), forbidden.calls, "calls the chart's RBAC does not allow");
    }

    @Test
    void aMissingPermissionIsNoticed() {
        String releaseNs = "rbac-less-system", ns = "rbac-less-apps";
        RealApiServer.createNamespace(admin, releaseNs);
        RealApiServer.createNamespace(admin, ns);
        // Without "create events" the operator still works (events are best effort), so only the watch on answers can tell.
        installRbac(releaseNs, Map.of("watchNamespaces", List.of(ns)), "events");
        ForbiddenCalls forbidden = new ForbiddenCalls();
        try (KubernetesClient client = serviceAccountClient(releaseNs, "moe-operator", forbidden);
             MoEOperator operator = operator(client, Set.of(ns), releaseNs, "less", new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))) {
            cluster.createFromFile(ns, "deploy/examples/tiny-cpu.yaml");
            await(ClusterFixture.WAIT, () -> assertTrue(forbidden.calls.contains("POST /api/v1/namespaces/" + ns + "/events"),
                    forbidden.calls.toString()));
        }
    }
}
