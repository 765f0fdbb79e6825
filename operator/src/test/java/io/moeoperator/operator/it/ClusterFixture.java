package io.moeoperator.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.moeoperator.operator.api.MoEDeployment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** What the tests do to the cluster, including standing in for the kubelet and StatefulSet controller. */
final class ClusterFixture {
    static final Duration WAIT = Duration.ofSeconds(45);
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    private final KubernetesClient client;

    ClusterFixture(KubernetesClient client) {
        this.client = client;
    }

    MoEDeployment createFromFile(String ns, String repoPath) {
        try (InputStream in = Files.newInputStream(ROOT.resolve(repoPath))) {
            MoEDeployment moe = client.getKubernetesSerialization().unmarshal(in, MoEDeployment.class);
            moe.getMetadata().setNamespace(ns);
            return client.resource(moe).create();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    MoEDeployment createFromYaml(String ns, String yaml) {
        MoEDeployment moe = client.getKubernetesSerialization().unmarshal(yaml, MoEDeployment.class);
        moe.getMetadata().setNamespace(ns);
        return client.resource(moe).create();
    }

    MoEDeployment moe(String ns, String name) {
        return client.resources(MoEDeployment.class).inNamespace(ns).withName(name).get();
    }

    /** Edits a deployment as kubectl edit does, again on a conflict (the operator patches status meanwhile). */
    void edit(String ns, String name, java.util.function.UnaryOperator<MoEDeployment> change) {
        RealApiServer.await(WAIT, () -> {
            try {
                client.resources(MoEDeployment.class).inNamespace(ns).withName(name).edit(change);
            } catch (KubernetesClientException e) {
                if (e.getCode() == 409) throw new AssertionError("conflict, again: " + e.getMessage());
                throw e;
            }
        });
    }

    StatefulSet sts(String ns, String name) {
        return client.apps().statefulSets().inNamespace(ns).withName(name).get();
    }

    List<String> statefulSetNames(String ns) {
        return client.apps().statefulSets().inNamespace(ns).list().getItems().stream()
                .map(s -> s.getMetadata().getName()).sorted().toList();
    }

    /** Condition of a deployment, asserting it is there and reflects the current generation. */
    Condition condition(String ns, String name, String type) {
        MoEDeployment moe = moe(ns, name);
        assertNotNull(moe.getStatus(), "no status yet");
        assertEquals(moe.getMetadata().getGeneration(), moe.getStatus().getObservedGeneration(), "status is for an older generation");
        Condition c = moe.getStatus().condition(type);
        assertNotNull(c, "no " + type + " condition");
        return c;
    }

    void awaitCondition(String ns, String name, String type, String status, String reason) {
        RealApiServer.await(WAIT, () -> {
            Condition c = condition(ns, name, type);
            assertEquals(status + "/" + reason, c.getStatus() + "/" + c.getReason(), c.getMessage());
        });
    }

    /**
     * Plays kubelet + StatefulSet controller: every pod of the StatefulSet is running the current
     * revision and ready.
     */
    void markReady(String ns, String name) {
        RealApiServer.await(WAIT, () -> {
            StatefulSet sts = sts(ns, name);
            assertNotNull(sts, "no StatefulSet " + name);
            int replicas = sts.getSpec().getReplicas();
            String revision = name + "-" + sts.getMetadata().getGeneration();
            sts.setStatus(new StatefulSetStatusBuilder()
                    .withObservedGeneration(sts.getMetadata().getGeneration())
                    .withReplicas(replicas).withReadyReplicas(replicas).withCurrentReplicas(replicas).withUpdatedReplicas(replicas)
                    .withCurrentRevision(revision).withUpdateRevision(revision)
                    .build());
            try {
                client.apps().statefulSets().inNamespace(ns).resource(sts).updateStatus();
            } catch (KubernetesClientException conflict) {
                throw new AssertionError("status update raced: " + conflict.getMessage());
            }
        });
    }

    List<Event> events(String ns, String involvedName) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> involvedName.equals(e.getInvolvedObject().getName())).toList();
    }

    List<String> eventReasons(String ns, String involvedName) {
        return events(ns, involvedName).stream().map(Event::getReason).toList();
    }
}
