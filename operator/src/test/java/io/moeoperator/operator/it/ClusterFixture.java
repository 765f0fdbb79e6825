package io.moeoperator.operator.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.moeoperator.operator.api.MoEDeployment;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/** What the tests do to the cluster, including standing in for the kubelet (the StatefulSet controller is real). */
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

    /** The revision the deployment's current spec runs, once the operator reported it for the current generation. */
    String revision(String ns, String name) {
        String[] revision = new String[1];
        RealApiServer.await(WAIT, () -> {
            MoEDeployment moe = moe(ns, name);
            assertNotNull(moe.getStatus(), "no status yet");
            assertEquals(moe.getMetadata().getGeneration(), moe.getStatus().getObservedGeneration(), "status is for an older generation");
            assertNotNull(moe.getStatus().getCurrentRevision(), "no revision yet");
            revision[0] = moe.getStatus().getCurrentRevision();
        });
        return revision[0];
    }

    /** Name of the StatefulSet of group {@code group}'s current revision. */
    String groupName(String ns, String name, int group) {
        return name + "-g" + group + "-" + revision(ns, name);
    }

    /** The StatefulSet of group {@code group}'s current revision, once it exists. */
    StatefulSet group(String ns, String name, int group) {
        String sts = groupName(ns, name, group);
        RealApiServer.await(WAIT, () -> assertNotNull(sts(ns, sts), "no StatefulSet " + sts));
        return sts(ns, sts);
    }

    /** Plays the kubelet for the pods of group {@code group}'s current revision: they run and are ready. */
    void markGroupReady(String ns, String name, int group) {
        markReady(ns, group(ns, name, group).getMetadata().getName());
    }

    /**
     * Plays the kubelet (the StatefulSet controller is real): every pod of the StatefulSet runs and is
     * ready, so the controller reports the StatefulSet ready.
     */
    void markReady(String ns, String statefulSet) {
        RealApiServer.await(WAIT, () -> {
            StatefulSet sts = sts(ns, statefulSet);
            assertNotNull(sts, "no StatefulSet " + statefulSet);
            for (int rank = 0; rank < sts.getSpec().getReplicas(); rank++) {
                Pod pod = client.pods().inNamespace(ns).withName(statefulSet + "-" + rank).get();
                assertNotNull(pod, "the StatefulSet controller has not made " + statefulSet + "-" + rank + " yet");
                if (isReady(pod)) continue;
                String now = java.time.format.DateTimeFormatter.ISO_INSTANT.format(java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
                pod.setStatus(new PodStatusBuilder(pod.getStatus())
                        .withPhase("Running").withStartTime(now).withPodIP("10.1.0." + (rank + 2))
                        .withConditions(Stream.of("PodScheduled", "Initialized", "ContainersReady", "Ready")
                                .map(type -> new PodConditionBuilder().withType(type).withStatus("True").withLastTransitionTime(now).build())
                                .toList())
                        .build());
                try {
                    client.pods().inNamespace(ns).resource(pod).updateStatus();
                } catch (KubernetesClientException conflict) {
                    throw new AssertionError("pod status update raced: " + conflict.getMessage());
                }
            }
            StatefulSet now = sts(ns, statefulSet);
            assertEquals(now.getSpec().getReplicas(), now.getStatus() == null ? null : now.getStatus().getReadyReplicas(),
                    "the StatefulSet controller has not seen the ready pods yet");
        });
    }

    static boolean isReady(Pod pod) {
        return pod.getStatus() != null && pod.getStatus().getConditions() != null && pod.getStatus().getConditions().stream()
                .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
    }

    /** Pods of a deployment's serving groups, by name. */
    List<Pod> servingPods(String ns, String name) {
        return client.pods().inNamespace(ns).withLabel(io.moeoperator.operator.resources.Labels.DEPLOYMENT, name).list().getItems();
    }

    /** Group indices that have a StatefulSet (any revision), sorted. */
    List<Integer> groupIndices(String ns, String name) {
        return client.apps().statefulSets().inNamespace(ns).withLabel(io.moeoperator.operator.resources.Labels.DEPLOYMENT, name)
                .list().getItems().stream().map(s -> Integer.parseInt(s.getMetadata().getLabels().get(io.moeoperator.operator.resources.Labels.GROUP)))
                .distinct().sorted().toList();
    }

    List<Event> events(String ns, String involvedName) {
        return client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> involvedName.equals(e.getInvolvedObject().getName())).toList();
    }

    List<String> eventReasons(String ns, String involvedName) {
        return events(ns, involvedName).stream().map(Event::getReason).toList();
    }
}
