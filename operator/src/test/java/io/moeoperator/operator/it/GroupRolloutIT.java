package io.moeoperator.operator.it;

import static io.moeoperator.operator.it.RealApiServer.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.moeoperator.operator.MoEOperator;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.resources.Labels;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A model change on an expert-parallel deployment, watched pod by pod (the StatefulSet controller is
 * real; a kubelet stand-in marks a rank ready once every rank of its StatefulSet exists, as the
 * runtime's readiness needs all peers). At no moment do ranks of two revisions form one group, and
 * with Surge every group keeps serving until its new revision is ready.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GroupRolloutIT {
    static final int GROUPS = 2, RANKS = 2;
    KubernetesClient client;
    ClusterFixture cluster;
    MoEOperator operator;

    @BeforeAll
    void start() {
        client = RealApiServer.newClient();
        cluster = new ClusterFixture(client);
        operator = new MoEOperator(client, OperatorConfig.defaults(), new SimpleMeterRegistry(), null, Clock.systemUTC());
        operator.start();
    }

    @AfterAll
    void stop() {
        if (operator != null) operator.close();
        if (client != null) client.close();
    }

    @Test
    void surgeKeepsEveryGroupServingAndNeverMixesRevisions() throws Exception {
        List<Integer> capacity = rollOut("surge", "Surge");
        assertTrue(capacity.stream().allMatch(c -> c == GROUPS), "serving groups during the rollout: " + capacity);
    }

    @Test
    void recreateLosesAtMostOneGroupAndNeverMixesRevisions() throws Exception {
        List<Integer> capacity = rollOut("recreate-ep", "Recreate");
        assertTrue(capacity.stream().allMatch(c -> c >= GROUPS - 1), "serving groups during the rollout: " + capacity);
        assertTrue(capacity.contains(GROUPS - 1), "Recreate stops a group before starting its replacement: " + capacity);
    }

    /** Changes the model of a ready deployment; returns the serving-group count seen at each pod event. */
    private List<Integer> rollOut(String ns, String strategy) throws Exception {
        RealApiServer.createNamespace(client, ns);
        cluster.createFromYaml(ns, """
                apiVersion: serving.moe-operator.io/v1alpha1
                kind: MoEDeployment
                metadata: {name: ep}
                spec:
                  model: {uri: 'synthetic://?experts=8&seed=1'}
                  replicas: %d
                  expertParallelism: %d
                  updateStrategy: {type: %s}
                """.formatted(GROUPS, RANKS, strategy));
        Pods pods = new Pods();
        try (var watch = client.pods().inNamespace(ns).withLabel(Labels.DEPLOYMENT, "ep").watch(pods);
             Kubelet kubelet = new Kubelet(ns)) {
            cluster.awaitCondition(ns, "ep", "Ready", "True", "AllGroupsReady");
            String before = cluster.revision(ns, "ep");
            pods.recording = true;

            cluster.edit(ns, "ep", m -> MoEDeploymentIT.withUri(m, "synthetic://?experts=8&seed=2"));
            String after = cluster.revision(ns, "ep");
            assertTrue(!before.equals(after), "a new model is a new revision");
            await(Duration.ofSeconds(90), () -> {
                cluster.awaitCondition(ns, "ep", "Progressing", "False", "Complete");
                Map<String, Set<String>> revisions = pods.revisionsByGroup();
                assertEquals(Map.of("0", Set.of(after), "1", Set.of(after)), revisions, "old revisions still around");
            });
            RealApiServer.sleepQuietly(500);
            assertTrue(pods.violations.isEmpty(), String.join("\n", pods.violations));
            System.out.printf("%s rollout of %d groups x %d ranks: serving groups at each pod event %s%n", strategy, GROUPS, RANKS, pods.capacity);
            return List.copyOf(pods.capacity);
        }
    }

    /** Every pod event: the pods as they are, and the invariants checked on them. */
    static final class Pods implements Watcher<Pod> {
        final Map<String, Pod> live = new ConcurrentHashMap<>();
        final List<String> violations = new ArrayList<>();
        final List<Integer> capacity = new ArrayList<>();
        volatile boolean recording;

        @Override
        public synchronized void eventReceived(Action action, Pod pod) {
            if (action == Action.DELETED) live.remove(pod.getMetadata().getName());
            else live.put(pod.getMetadata().getName(), pod);
            // The ranks of one StatefulSet (those that dial each other) run one revision.
            Map<String, Set<String>> byStatefulSet = new TreeMap<>();
            for (Pod p : live.values()) {
                String owner = p.getMetadata().getOwnerReferences().getFirst().getName();
                byStatefulSet.computeIfAbsent(owner, k -> new java.util.TreeSet<>()).add(p.getMetadata().getLabels().get(Labels.REVISION));
            }
            byStatefulSet.forEach((sts, revisions) -> {
                if (revisions.size() != 1 || !sts.endsWith("-" + revisions.iterator().next())) {
                    violations.add("StatefulSet " + sts + " has pods of revisions " + revisions);
                }
            });
            if (recording) capacity.add(servingGroups());
        }

        /** Groups with a revision whose every rank is ready: those answer requests. */
        int servingGroups() {
            // Terminating pods leave the Service's endpoints: they serve nothing.
            Map<String, Long> readyRanks = live.values().stream()
                    .filter(p -> p.getMetadata().getDeletionTimestamp() == null && ClusterFixture.isReady(p))
                    .collect(Collectors.groupingBy(p -> p.getMetadata().getLabels().get(Labels.GROUP) + "/"
                            + p.getMetadata().getLabels().get(Labels.REVISION), Collectors.counting()));
            return (int) readyRanks.entrySet().stream().filter(e -> e.getValue() == RANKS)
                    .map(e -> e.getKey().substring(0, e.getKey().indexOf('/'))).distinct().count();
        }

        synchronized Map<String, Set<String>> revisionsByGroup() {
            Map<String, Set<String>> out = new TreeMap<>();
            for (Pod p : live.values()) {
                if (p.getMetadata().getDeletionTimestamp() != null) continue;
                out.computeIfAbsent(p.getMetadata().getLabels().get(Labels.GROUP), k -> new java.util.TreeSet<>())
                        .add(p.getMetadata().getLabels().get(Labels.REVISION));
            }
            return out;
        }

        @Override
        public void onClose(WatcherException cause) {
            if (cause != null) violations.add("pod watch closed: " + cause);
        }
    }

    /**
     * The kubelet stand-in: a pod is marked ready once every rank of its StatefulSet has existed for
     * 1.5 s (loading the model; the runtime reports ready only when all its peers answer).
     */
    final class Kubelet implements AutoCloseable {
        static final long LOAD_NANOS = 1_500_000_000L;
        private final Thread thread;
        private final Map<String, Long> firstSeen = new ConcurrentHashMap<>();
        private volatile boolean running = true;

        Kubelet(String ns) {
            thread = Thread.ofPlatform().daemon().name("kubelet").start(() -> {
                while (running) {
                    try {
                        Map<String, List<Pod>> byOwner = client.pods().inNamespace(ns).withLabel(Labels.DEPLOYMENT, "ep").list().getItems()
                                .stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                                .collect(Collectors.groupingBy(p -> p.getMetadata().getOwnerReferences().getFirst().getName()));
                        long now = System.nanoTime();
                        byOwner.values().forEach(ranks -> ranks.forEach(p -> firstSeen.putIfAbsent(p.getMetadata().getName(), now)));
                        byOwner.forEach((sts, ranks) -> {
                            boolean loaded = ranks.stream().allMatch(p -> now - firstSeen.get(p.getMetadata().getName()) > LOAD_NANOS);
                            if (ranks.size() == RANKS && loaded && ranks.stream().anyMatch(p -> !ClusterFixture.isReady(p))) {
                                cluster.markReady(ns, sts);
                            }
                        });
                    } catch (RuntimeException | AssertionError e) {
                        // a StatefulSet went away meanwhile: look again
                    }
                    RealApiServer.sleepQuietly(300);
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5000);
        }
    }
}
