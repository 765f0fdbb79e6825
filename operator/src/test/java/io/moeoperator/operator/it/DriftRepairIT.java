package io.moeoperator.operator.it;

import static io.moeoperator.operator.it.RealApiServer.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeoperator.operator.MoEOperator;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.resources.Labels;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Hand edits of what the operator owns are reverted at the next reconcile, with a DriftRepaired
 * event; a steady state writes nothing. Watched kinds (StatefulSets, Services, PDBs) reconcile on
 * the edit itself; the Secret, which the operator may not watch, at the next resync (3 s here).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DriftRepairIT {
    static final String NS = "drift", NAME = "tiny-cpu";
    KubernetesClient client;
    ClusterFixture cluster;
    MoEOperator operator;
    String group;

    @BeforeAll
    void startOperatorWithAReadyDeployment() {
        client = RealApiServer.newClient();
        cluster = new ClusterFixture(client);
        operator = new MoEOperator(client, OperatorConfig.defaults().withResyncInterval(Duration.ofSeconds(3)),
                new SimpleMeterRegistry(), null, Clock.systemUTC());
        operator.start();
        RealApiServer.createNamespace(client, NS);
        cluster.createFromFile(NS, "deploy/examples/tiny-cpu.yaml");
        cluster.markGroupReady(NS, NAME, 0);
        cluster.awaitCondition(NS, NAME, "Ready", "True", "AllGroupsReady");
        group = cluster.groupName(NS, NAME, 0);
    }

    @AfterAll
    void stop() {
        if (operator != null) operator.close();
        if (client != null) client.close();
    }

    @Test
    void aScaledStatefulSetGetsItsRanksBack() throws Exception {
        Kubectl.run(RealApiServer.kubeConfigYaml(), "scale", "statefulset/" + group, "-n", NS, "--replicas=1");
        await(ClusterFixture.WAIT, () -> assertEquals(2, cluster.sts(NS, group).getSpec().getReplicas()));
        awaitRepairEvent("StatefulSet " + group);
        cluster.markReady(NS, group); // the recreated rank-1 pod
        cluster.awaitCondition(NS, NAME, "Ready", "True", "AllGroupsReady");
    }

    @Test
    void anEditedPodTemplateIsRestored() {
        String image = container().getImage();
        client.apps().statefulSets().inNamespace(NS).withName(group).edit(s -> {
            s.getSpec().getTemplate().getSpec().getContainers().getFirst().setImage("somebody/else:latest");
            return s;
        });
        await(ClusterFixture.WAIT, () -> assertEquals(image, container().getImage()));
        awaitRepairEvent("StatefulSet " + group);
    }

    @Test
    void editedServicesAreRestored() {
        client.services().inNamespace(NS).withName(NAME).edit(s -> {
            s.getSpec().getPorts().getFirst().setTargetPort(new IntOrString(9999));
            return s;
        });
        client.services().inNamespace(NS).withName(NAME + "-g0-peers").edit(s -> {
            s.getSpec().setPublishNotReadyAddresses(false);
            return s;
        });
        await(ClusterFixture.WAIT, () -> {
            assertEquals("http", client.services().inNamespace(NS).withName(NAME).get().getSpec().getPorts().getFirst().getTargetPort().getStrVal());
            assertTrue(client.services().inNamespace(NS).withName(NAME + "-g0-peers").get().getSpec().getPublishNotReadyAddresses());
        });
        awaitRepairEvent("Service " + NAME);
        awaitRepairEvent("Service " + NAME + "-g0-peers");
    }

    @Test
    void anEditedDisruptionBudgetIsRestored() {
        client.policy().v1beta1().podDisruptionBudget().inNamespace(NS).withName(NAME).edit(p -> {
            p.getSpec().setMaxUnavailable(new IntOrString(0)); // would block every node drain
            return p;
        });
        await(ClusterFixture.WAIT, () -> assertEquals(1,
                client.policy().v1beta1().podDisruptionBudget().inNamespace(NS).withName(NAME).get().getSpec().getMaxUnavailable().getIntVal()));
        awaitRepairEvent("PodDisruptionBudget " + NAME);
    }

    @Test
    void theSecretsMetadataIsRestoredAndAnUnusableKeyReplacedWithARollout() {
        String revision = cluster.revision(NS, NAME);
        byte[] key = java.util.Base64.getDecoder().decode(client.secrets().inNamespace(NS).withName(NAME + "-ep").get().getData().get("secret"));
        client.secrets().inNamespace(NS).withName(NAME + "-ep").edit(s -> {
            s.getMetadata().getLabels().remove(Labels.DEPLOYMENT);
            return s;
        });
        await(ClusterFixture.WAIT, () -> assertEquals(NAME,
                client.secrets().inNamespace(NS).withName(NAME + "-ep").get().getMetadata().getLabels().get(Labels.DEPLOYMENT)));
        awaitRepairEvent("Secret " + NAME + "-ep");
        assertEquals(revision, cluster.revision(NS, NAME), "the key is kept: running groups keep authenticating each other");

        // A key nobody can use (truncated by hand): a new key, and groups move to it as a new revision.
        client.secrets().inNamespace(NS).withName(NAME + "-ep").edit(s -> {
            s.getData().put("secret", java.util.Base64.getEncoder().encodeToString(new byte[] {1, 2, 3}));
            return s;
        });
        await(ClusterFixture.WAIT, () -> assertNotEquals(revision, cluster.revision(NS, NAME)));
        byte[] fresh = java.util.Base64.getDecoder().decode(client.secrets().inNamespace(NS).withName(NAME + "-ep").get().getData().get("secret"));
        assertEquals(32, fresh.length);
        assertFalse(java.util.Arrays.equals(key, fresh));
        assertTrue(cluster.eventReasons(NS, NAME).contains("ExpertSecretReplaced"), cluster.eventReasons(NS, NAME).toString());
        cluster.markGroupReady(NS, NAME, 0);
        cluster.awaitCondition(NS, NAME, "Progressing", "False", "Complete");
        group = cluster.groupName(NS, NAME, 0);
    }

    /** Runs last (alphabetically after the others is not guaranteed: it settles first by itself). */
    @Test
    void aSteadyStateWritesNothing() {
        cluster.markGroupReady(NS, NAME, 0);
        cluster.awaitCondition(NS, NAME, "Ready", "True", "AllGroupsReady");
        RealApiServer.sleepQuietly(4000); // past one resync
        Map<String, String> before = resourceVersions();
        int repairs = repairEvents();
        // A spec change that changes no child (how to roll is not what pods run) and two resyncs.
        cluster.edit(NS, NAME, m -> MoEDeploymentIT.edit(m, Map.of("updateStrategy", Map.of("type", "Recreate"))));
        await(ClusterFixture.WAIT, () -> assertEquals(cluster.moe(NS, NAME).getMetadata().getGeneration(),
                cluster.moe(NS, NAME).getStatus().getObservedGeneration()));
        RealApiServer.sleepQuietly(7000);
        assertEquals(before, resourceVersions(), "children written in a steady state");
        assertEquals(repairs, repairEvents(), "repairs of nothing");
    }

    private io.fabric8.kubernetes.api.model.Container container() {
        return cluster.sts(NS, group).getSpec().getTemplate().getSpec().getContainers().getFirst();
    }

    private Map<String, String> resourceVersions() {
        List<HasMetadata> children = new ArrayList<>();
        children.addAll(client.apps().statefulSets().inNamespace(NS).list().getItems());
        children.addAll(client.services().inNamespace(NS).list().getItems());
        children.addAll(client.secrets().inNamespace(NS).withLabel(Labels.MANAGED_BY, Labels.OPERATOR).list().getItems());
        children.addAll(client.policy().v1beta1().podDisruptionBudget().inNamespace(NS).list().getItems());
        Map<String, String> versions = new TreeMap<>();
        // StatefulSet status is the controller's; compare what the operator writes: metadata + spec.
        for (HasMetadata c : children) versions.put(c.getKind() + "/" + c.getMetadata().getName(), String.valueOf(c.getMetadata().getGeneration()
                != null ? c.getMetadata().getGeneration() + ":" + c.getMetadata().getLabels() + c.getMetadata().getAnnotations()
                : c.getMetadata().getResourceVersion()));
        return versions;
    }

    private int repairEvents() {
        return (int) cluster.events(NS, NAME).stream().filter(e -> "DriftRepaired".equals(e.getReason())).count();
    }

    private void awaitRepairEvent(String what) {
        await(ClusterFixture.WAIT, () -> assertTrue(cluster.events(NS, NAME).stream()
                        .anyMatch(e -> "DriftRepaired".equals(e.getReason()) && e.getMessage().startsWith(what + " was changed outside")),
                () -> "no DriftRepaired event for " + what + ": " + cluster.events(NS, NAME).stream().map(e -> e.getReason() + ": " + e.getMessage()).toList()));
    }
}
