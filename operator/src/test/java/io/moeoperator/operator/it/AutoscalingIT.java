package io.moeoperator.operator.it;

import static io.moeoperator.operator.it.RealApiServer.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.autoscaling.v1.HorizontalPodAutoscalerBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeoperator.operator.MoEOperator;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.api.AutoscalingStatus;
import io.moeoperator.operator.api.MoEDeployment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Autoscaling with real parts: a `moe serve` process under load, a Prometheus server scraping it,
 * the operator polling Prometheus and scaling the MoEDeployment on the real API server.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AutoscalingIT {
    static final Path DIR = Path.of("target", "autoscaling-it").toAbsolutePath();
    static final String NS = "autoscale";
    KubernetesClient client;
    ClusterFixture cluster;
    RuntimeServer runtime;
    PrometheusServer prometheus;
    MoEOperator operator;

    @BeforeAll
    void start() throws Exception {
        client = RealApiServer.newClient();
        cluster = new ClusterFixture(client);
        RealApiServer.createNamespace(client, NS);
        RealApiServer.createNamespace(client, FAULTS);
        // One serving group's pod, as the operator would label it (--max-num-seqs 1: a queue builds fast).
        runtime = RuntimeServer.tinyModel(DIR, "moe_namespace=" + NS + ",moe_deployment=tiny,moe_group=0", "--max-num-seqs", "1");
        prometheus = new PrometheusServer(DIR.resolve("prometheus"), List.of(runtime.target()));
        operator = new MoEOperator(client, OperatorConfig.defaults(), new SimpleMeterRegistry(), null, Clock.systemUTC());
        operator.start();
    }

    @AfterAll
    void stop() throws Exception {
        if (operator != null) operator.close();
        if (prometheus != null) prometheus.close();
        if (runtime != null) runtime.close();
        if (client != null) client.close();
    }

    static final String FAULTS = "autoscale-faults";

    String deployment(String name, int replicas, String autoscaling) {
        return """
                apiVersion: serving.moe-operator.io/v1alpha1
                kind: MoEDeployment
                metadata: {name: %s}
                spec:
                  model: {uri: 'synthetic://?experts=8'}
                  replicas: %d
                  autoscaling:
                %s
                """.formatted(name, replicas, autoscaling.stripIndent().lines().map(l -> "    " + l).reduce("", (a, b) -> a + b + "\n"));
    }

    int replicas(String name) {
        return replicas(NS, name);
    }

    int replicas(String ns, String name) {
        return cluster.moe(ns, name).getSpec().replicas();
    }

    @Test
    void scalesUpUnderLoadAndBackDownAfterTheWindow() throws Exception {
        cluster.createFromYaml(NS, deployment("tiny", 1, """
                minReplicas: 1
                maxReplicas: 3
                prometheusUrl: %s
                pollIntervalSeconds: 1
                metrics:
                  - type: RequestsWaiting
                    target: 2
                behavior:
                  scaleDownStabilizationSeconds: 5
                  maxStep: 2
                """.formatted(prometheus.url())));
        cluster.awaitCondition(NS, "tiny", "AutoscalingActive", "True", "MetricsAvailable");
        assertEquals(1, replicas("tiny"), "idle: stays at minReplicas: " + cluster.moe(NS, "tiny").getStatus().getAutoscaling());

        AtomicBoolean loading = new AtomicBoolean(true);
        AtomicInteger completed = new AtomicInteger();
        List<Thread> clients = new ArrayList<>();
        long loadStart = System.nanoTime();
        for (int i = 0; i < 6; i++) {
            clients.add(Thread.ofVirtual().start(() -> {
                HttpClient http = HttpClient.newHttpClient();
                while (loading.get()) {
                    try {
                        http.send(HttpRequest.newBuilder(URI.create(runtime.url() + "/v1/completions"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(
                                        "{\"model\":\"autoscale-tiny\",\"prompt\":\"The experts of a mixture\",\"max_tokens\":64}"))
                                .build(), HttpResponse.BodyHandlers.discarding());
                        completed.incrementAndGet();
                    } catch (Exception e) {
                        if (loading.get()) throw new IllegalStateException(e);
                    }
                }
            }));
        }
        long scaledUp;
        try {
            await(Duration.ofSeconds(60), () -> assertEquals(3, replicas("tiny"), "scaled up under load"));
            scaledUp = System.nanoTime();
            await(Duration.ofSeconds(30), () -> assertEquals(List.of(0, 1, 2), cluster.groupIndices(NS, "tiny")));
        } finally {
            loading.set(false);
            for (Thread t : clients) t.join();
        }
        long loadEnd = System.nanoTime();
        AutoscalingStatus status = cluster.moe(NS, "tiny").getStatus().getAutoscaling();
        assertNotNull(status.lastScaleTime());
        assertTrue(cluster.eventReasons(NS, "tiny").contains("Autoscaled"));

        await(Duration.ofSeconds(60), () -> assertEquals(1, replicas("tiny"), "back to minReplicas after the window"));
        long scaledDown = System.nanoTime();
        await(Duration.ofSeconds(30), () -> assertEquals(List.of(0), cluster.groupIndices(NS, "tiny")));
        String report = String.format("load start -> scale-up decision written: %.1f s (poll 1 s, scrape 1 s); "
                        + "load end -> scale-down: %.1f s (scale-down window 5 s); %d requests completed under load%n",
                (scaledUp - loadStart) / 1e9, (scaledDown - loadEnd) / 1e9, completed.get());
        System.out.print(report);
        Files.writeString(Path.of("target", "autoscaling-reaction.txt"), report);
    }

    @Test
    void faultsLeaveReplicasAloneAndSayWhy() {
        String closed = "http://127.0.0.1:1";
        record Fault(String name, String metrics, String url, String reason) {}
        List<Fault> faults = List.of(
                new Fault("unreachable", "- {type: RequestsWaiting, target: 2}", closed, "PrometheusUnreachable"),
                new Fault("nodata", "- {type: Custom, query: 'sum(moe_requests_waiting{moe_deployment=\"nobody\"})', target: 2}",
                        prometheus.url(), "NoData"),
                new Fault("nan", "- {type: Custom, query: '0/0', target: 2}", prometheus.url(), "InvalidMetricValue"),
                new Fault("malformed", "- {type: Custom, query: 'sum(', target: 2}", prometheus.url(), "QueryFailed"));
        for (Fault f : faults) {
            cluster.createFromYaml(FAULTS, deployment(f.name(), 2, """
                    maxReplicas: 4
                    prometheusUrl: %s
                    pollIntervalSeconds: 1
                    metrics:
                      %s
                    """.formatted(f.url(), f.metrics())));
        }
        for (Fault f : faults) {
            cluster.awaitCondition(FAULTS, f.name(), "AutoscalingActive", "False", f.reason());
            assertEquals(2, replicas(FAULTS, f.name()), f.name() + ": replicas left alone");
            assertTrue(cluster.eventReasons(FAULTS, f.name()).contains("AutoscalingFailed"), f.name());
        }
        assertTrue(cluster.condition(FAULTS, "malformed", "AutoscalingActive").getMessage().contains("bad_data"),
                cluster.condition(FAULTS, "malformed", "AutoscalingActive").getMessage());
        assertTrue(operator.operator().getRuntimeInfo().allEventSourcesAreHealthy(), "the operator stays healthy");

        // Fixed: the next evaluation (after backoff) works again.
        cluster.edit(FAULTS, "malformed", m -> MoEDeploymentIT.edit(m,
                java.util.Map.of("autoscaling", java.util.Map.of("maxReplicas", 4, "prometheusUrl", prometheus.url(),
                        "pollIntervalSeconds", 1, "behavior", java.util.Map.of("scaleDownStabilizationSeconds", 0),
                        "metrics", List.of(java.util.Map.of("type", "Custom", "query", "vector(2)", "target", 2))))));
        cluster.awaitCondition(FAULTS, "malformed", "AutoscalingActive", "True", "MetricsAvailable");
        await(Duration.ofSeconds(30), () -> assertEquals(1, replicas(FAULTS, "malformed"), "vector(2) over 2 groups with target 2 -> 1 group"));
    }

    @Test
    void theExampleAppliesAndSaysWhereItsPrometheusIsMissing() {
        cluster.createFromFile(FAULTS, "deploy/examples/tiny-cpu-autoscaling.yaml");
        await(ClusterFixture.WAIT, () -> assertEquals(List.of(0), cluster.groupIndices(FAULTS, "tiny-cpu-autoscaling")));
        // No Prometheus at prometheus.monitoring in this cluster: reported, replicas untouched.
        cluster.awaitCondition(FAULTS, "tiny-cpu-autoscaling", "AutoscalingActive", "False", "PrometheusUnreachable");
        assertEquals(1, replicas(FAULTS, "tiny-cpu-autoscaling"));
    }

    @Test
    void refusesToFightAHorizontalPodAutoscaler() {
        cluster.createFromYaml(FAULTS, deployment("contested", 2, """
                maxReplicas: 4
                prometheusUrl: %s
                pollIntervalSeconds: 1
                metrics:
                  - {type: Custom, query: 'vector(100)', target: 1}
                """.formatted(prometheus.url())));
        client.autoscaling().v1().horizontalPodAutoscalers().inNamespace(FAULTS).resource(new HorizontalPodAutoscalerBuilder()
                .withNewMetadata().withName("contested-hpa").endMetadata()
                .withNewSpec().withMaxReplicas(5).withNewScaleTargetRef()
                    .withApiVersion("serving.moe-operator.io/v1alpha1").withKind("MoEDeployment").withName("contested")
                .endScaleTargetRef().endSpec().build()).create();
        cluster.awaitCondition(FAULTS, "contested", "AutoscalingActive", "False", "ConflictingHPA");
        assertTrue(cluster.condition(FAULTS, "contested", "AutoscalingActive").getMessage().contains("contested-hpa"));
        assertEquals(2, replicas(FAULTS, "contested"));
    }

    @Test
    void aDeletedDeploymentsAutoscalingStateIsDropped() {
        String ns = "autoscale-delete";
        RealApiServer.createNamespace(client, ns);
        int before = operator.autoscaling().size();
        cluster.createFromYaml(ns, deployment("gone", 1, """
                maxReplicas: 2
                prometheusUrl: %s
                pollIntervalSeconds: 1
                metrics:
                  - {type: Custom, query: 'vector(1)', target: 1}
                """.formatted(prometheus.url())));
        cluster.awaitCondition(ns, "gone", "AutoscalingActive", "True", "MetricsAvailable");
        assertEquals(before + 1, operator.autoscaling().size(), "evaluated while it exists");
        client.resources(MoEDeployment.class).inNamespace(ns).withName("gone").delete();
        await(ClusterFixture.WAIT, () -> assertEquals(before, operator.autoscaling().size(), "polled after it was deleted"));
    }
}
