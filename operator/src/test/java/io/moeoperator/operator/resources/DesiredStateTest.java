package io.moeoperator.operator.resources;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.moeoperator.operator.Deployments;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.api.MoEDeployment;
import io.moeoperator.operator.spec.ResolvedSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The desired-state builders are pure: same input, same objects; checked here without any cluster. */
class DesiredStateTest {
    static final OperatorConfig CONFIG = OperatorConfig.defaults();

    static MoEDeployment moe(String specYaml) {
        return Deployments.fromYaml("tiny", "serving", specYaml);
    }

    static final TemplateInputs INPUTS = new TemplateInputs(true, "0123456789abcdef");

    static StatefulSet group(String specYaml, int group) throws Exception {
        return group(specYaml, group, INPUTS);
    }

    static StatefulSet group(String specYaml, int group, TemplateInputs inputs) throws Exception {
        return group(specYaml, group, inputs, CONFIG);
    }

    static StatefulSet group(String specYaml, int group, TemplateInputs inputs, OperatorConfig config) throws Exception {
        MoEDeployment moe = moe(specYaml);
        ResolvedSpec spec = ResolvedSpec.resolve(moe.getSpec(), config);
        return GroupResources.statefulSet(moe, spec, config, group, GroupResources.revision(moe, spec, config, inputs), inputs);
    }

    static final OperatorConfig CUDA_RUNTIME = Deployments.NEXT_RUNTIME;

    static String revision(String specYaml) throws Exception {
        return revision(specYaml, INPUTS);
    }

    static String revision(String specYaml, TemplateInputs inputs) throws Exception {
        MoEDeployment moe = moe(specYaml);
        return GroupResources.revision(moe, ResolvedSpec.resolve(moe.getSpec(), CONFIG), CONFIG, inputs);
    }

    static Container runtime(StatefulSet sts) {
        return sts.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    @Test
    void aGroupRevisionIsAStatefulSetOfOnePodPerRank() throws Exception {
        String yaml = """
                model: {uri: 'synthetic://?experts=8&layers=2'}
                expertParallelism: 2
                serving: {maxNumSeqs: 8, contextLength: 512, kvCacheMemory: 256Mi}
                """;
        StatefulSet sts = group(yaml, 1);
        String rev = revision(yaml);
        assertTrue(rev.matches("[0-9a-f]{6}"), rev);
        assertEquals("tiny-g1-" + rev, sts.getMetadata().getName());
        assertEquals("serving", sts.getMetadata().getNamespace());
        assertEquals(2, sts.getSpec().getReplicas());
        assertEquals("2", sts.getMetadata().getAnnotations().get(Labels.RANKS));
        assertEquals("tiny-g1-peers", sts.getSpec().getServiceName());
        assertEquals("Parallel", sts.getSpec().getPodManagementPolicy());
        assertEquals("1", sts.getSpec().getSelector().getMatchLabels().get(Labels.GROUP));
        assertEquals(rev, sts.getSpec().getSelector().getMatchLabels().get(Labels.REVISION), "a StatefulSet selects its own revision only");
        assertEquals(rev, sts.getSpec().getTemplate().getMetadata().getLabels().get(Labels.REVISION));
        var owner = sts.getMetadata().getOwnerReferences().get(0);
        assertEquals(List.of("MoEDeployment", "tiny", "uid-tiny", true), List.of(owner.getKind(), owner.getName(), owner.getUid(), owner.getController()));
        assertEquals(List.of("serve", "--model", "/var/cache/moe/synthetic.gguf", "--host", "0.0.0.0", "--port", "8000",
                "--served-model-name", "synthetic", "--metrics-labels", "moe_namespace=serving,moe_deployment=tiny,moe_group=1",
                "--max-num-seqs", "8", "--context-length", "512", "--kv-cache-memory", "268435456",
                "--ep-size", "2", "--ep-rank", "$(MOE_POD_NAME)",
                "--ep-peers", "tiny-g1-" + rev + "-0.tiny-g1-peers.serving.svc:29500,tiny-g1-" + rev + "-1.tiny-g1-peers.serving.svc:29500",
                "--ep-port", "29500", "--ep-secret-file", "/var/run/secrets/moe-operator/ep/secret",
                "--ep-experts", "0-3,4-7"), runtime(sts).getArgs());
        assertTrue(sts.getSpec().getTemplate().getSpec().getVolumes().stream()
                .anyMatch(v -> v.getName().equals("ep-secret") && v.getSecret().getSecretName().equals("tiny-ep")));
        assertTrue(runtime(sts).getVolumeMounts().stream()
                .anyMatch(m -> m.getName().equals("ep-secret") && m.getMountPath().equals("/var/run/secrets/moe-operator/ep") && m.getReadOnly()));
        var memory = runtime(sts).getEnv().stream().filter(e -> e.getName().equals("MOE_MEMORY_LIMIT")).findFirst().orElseThrow();
        assertEquals("limits.memory", memory.getValueFrom().getResourceFieldRef().getResource(), "the runtime sizes heap and KV cache from it");
        assertFalse(sts.getSpec().getTemplate().getSpec().getVolumes().stream().anyMatch(v -> v.getConfigMap() != null),
                "the shard plan reaches the runtime as flags only");
        Container synth = sts.getSpec().getTemplate().getSpec().getInitContainers().get(0);
        assertEquals(List.of("synth", "--out", "/var/cache/moe/synthetic.gguf", "--experts", "8", "--layers", "2"), synth.getArgs());
    }

    @Test
    void podsAreLockedDown() throws Exception {
        StatefulSet sts = group("model: {uri: 'synthetic://'}", 0);
        PodSpec pod = sts.getSpec().getTemplate().getSpec();
        assertTrue(pod.getSecurityContext().getRunAsNonRoot());
        assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
        assertFalse(pod.getAutomountServiceAccountToken());
        for (Container c : concat(pod.getInitContainers(), pod.getContainers())) {
            assertFalse(c.getSecurityContext().getAllowPrivilegeEscalation(), c.getName());
            assertTrue(c.getSecurityContext().getReadOnlyRootFilesystem(), c.getName());
            assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop());
        }
        assertTrue(pod.getVolumes().stream().anyMatch(v -> v.getName().equals("tmp") && v.getEmptyDir() != null),
                "a writable /tmp beside the read-only root");
    }

    @Test
    void probesUseTheRuntimeHealthEndpointsWithALongStartupBudget() throws Exception {
        Container c = runtime(group("{model: {uri: 'synthetic://'}, serving: {startupTimeoutSeconds: 3600}}", 0));
        assertEquals("/q/health/started", c.getStartupProbe().getHttpGet().getPath());
        assertEquals(360, c.getStartupProbe().getFailureThreshold() * c.getStartupProbe().getPeriodSeconds() / 10);
        assertEquals("/q/health/ready", c.getReadinessProbe().getHttpGet().getPath());
        assertEquals("/q/health/live", c.getLivenessProbe().getHttpGet().getPath());
        assertEquals("http", c.getLivenessProbe().getHttpGet().getPort().getStrVal());
    }

    @Test
    void cudaPodsGetGpusAndTolerateGpuNodes() throws Exception {
        StatefulSet sts = group("""
                model: {uri: 'hf://deepseek-ai/DeepSeek-V2-Lite-Chat', experts: 64}
                device: cuda
                expertParallelism: 2
                resources: {gpus: 2, cpu: '8', memory: 64Gi}
                hfTokenSecret: {name: hf, key: token}
                """, 0, INPUTS, CUDA_RUNTIME);
        Container c = runtime(sts);
        assertEquals(new Quantity("2"), c.getResources().getLimits().get("nvidia.com/gpu"));
        assertEquals(new Quantity("64Gi"), c.getResources().getLimits().get("memory"));
        assertEquals(OperatorConfig.DEFAULT_CUDA_RUNTIME_IMAGE, c.getImage());
        assertTrue(c.getArgs().containsAll(List.of("--device", "cuda", "--model", "hf://deepseek-ai/DeepSeek-V2-Lite-Chat")));
        assertTrue(c.getEnv().stream().anyMatch(e -> e.getName().equals("HF_TOKEN")
                && e.getValueFrom().getSecretKeyRef().getName().equals("hf")));
        assertTrue(sts.getSpec().getTemplate().getSpec().getTolerations().stream()
                .anyMatch(t -> "nvidia.com/gpu".equals(t.getKey())));
        assertTrue(sts.getSpec().getTemplate().getSpec().getInitContainers().isEmpty());
    }

    @Test
    void ranksOfAGroupSpreadOverNodesByDefault() throws Exception {
        var affinity = group("{model: {uri: 'synthetic://'}, expertParallelism: 2}", 0).getSpec().getTemplate().getSpec().getAffinity();
        var term = affinity.getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution().get(0).getPodAffinityTerm();
        assertEquals("kubernetes.io/hostname", term.getTopologyKey());
        assertEquals("0", term.getLabelSelector().getMatchLabels().get(Labels.GROUP));
        var required = group("{model: {uri: 'synthetic://'}, expertParallelism: 2, scheduling: {groupSpread: Required}}", 0)
                .getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity();
        assertEquals(1, required.getRequiredDuringSchedulingIgnoredDuringExecution().size());
        assertNull(group("{model: {uri: 'synthetic://'}, expertParallelism: 2, scheduling: {groupSpread: None}}", 0)
                .getSpec().getTemplate().getSpec().getAffinity());
    }

    @Test
    void pvcModelsAreMountedReadOnly() throws Exception {
        StatefulSet sts = group("{model: {uri: 'pvc://models/ds/lite.gguf'}, modelCache: {persistentVolumeClaim: {claimName: cache}}}", 0);
        assertTrue(runtime(sts).getArgs().containsAll(List.of("--model", "/models/ds/lite.gguf")));
        var volumes = sts.getSpec().getTemplate().getSpec().getVolumes();
        assertTrue(volumes.stream().anyMatch(v -> v.getName().equals("model") && v.getPersistentVolumeClaim().getClaimName().equals("models")
                && v.getPersistentVolumeClaim().getReadOnly()));
        assertTrue(volumes.stream().anyMatch(v -> v.getName().equals("model-cache") && v.getPersistentVolumeClaim().getClaimName().equals("cache")));
    }

    @Test
    void theRevisionFollowsWhatPodsRunOnly() throws Exception {
        String a = revision("{model: {uri: 'synthetic://'}, image: 'r:1', expertParallelism: 2}");
        assertEquals(a, revision("{model: {uri: 'synthetic://'}, image: 'r:1', expertParallelism: 2}"));
        assertEquals(a, revision("{model: {uri: 'synthetic://'}, image: 'r:1', expertParallelism: 2, replicas: 5}"),
                "scaling does not roll groups");
        assertEquals(a, revision("{model: {uri: 'synthetic://'}, image: 'r:1', expertParallelism: 2, updateStrategy: {type: Recreate}}"),
                "how to roll is not what pods run");
        assertNotEquals(a, revision("{model: {uri: 'synthetic://'}, image: 'r:2', expertParallelism: 2}"));
        assertNotEquals(a, revision("{model: {uri: 'synthetic://?seed=2'}, image: 'r:1', expertParallelism: 2}"));
        assertNotEquals(a, revision("{model: {uri: 'synthetic://'}, image: 'r:1', expertParallelism: 2}",
                new TemplateInputs(true, "fedcba9876543210")), "a new shared key is a new revision");
        assertEquals(revision("{model: {uri: 'synthetic://'}}"), revision("{model: {uri: 'synthetic://'}}",
                new TemplateInputs(true, "fedcba9876543210")), "one process per group has no key");
        // Every group of a spec runs the same revision, each in a StatefulSet named by it.
        String yaml = "{model: {uri: 'synthetic://'}, image: 'r:1', expertParallelism: 2}";
        assertEquals("tiny-g3-" + a, group(yaml, 3).getMetadata().getName());
    }

    @Test
    void servicesAndConfig() throws Exception {
        MoEDeployment moe = moe("{model: {uri: 'synthetic://?experts=8'}, expertParallelism: 2}");
        ResolvedSpec spec = ResolvedSpec.resolve(moe.getSpec(), CONFIG);
        Service peers = GroupResources.peerService(moe, spec, CONFIG, 0);
        assertEquals("None", peers.getSpec().getClusterIP());
        assertTrue(peers.getSpec().getPublishNotReadyAddresses());
        assertEquals(List.of("http", "experts"), peers.getSpec().getPorts().stream().map(p -> p.getName()).toList());
        Service client = DeploymentResources.clientService(moe, spec);
        assertEquals("tiny", client.getMetadata().getName());
        assertFalse(client.getSpec().getSelector().containsKey(Labels.GROUP), "clients reach every group");
        assertEquals("http://tiny.serving.svc:8000/v1", DeploymentResources.endpoint(moe, spec));
        assertEquals(Labels.groupSelector(moe, 0), peers.getSpec().getSelector(), "every revision of the group shares one DNS domain");
        var pdb = DeploymentResources.podDisruptionBudget(moe);
        assertEquals(1, pdb.getSpec().getMaxUnavailable().getIntVal());
        var pdbBeta = DeploymentResources.podDisruptionBudgetV1beta1(moe);
        assertEquals("policy/v1beta1", pdbBeta.getApiVersion());
        assertEquals(pdb.getSpec().getSelector(), pdbBeta.getSpec().getSelector());
        var monitor = DeploymentResources.serviceMonitor(moe);
        assertEquals("monitoring.coreos.com/v1", monitor.getApiVersion());
        assertTrue(monitor.getAdditionalProperties().toString().contains("/q/metrics"));
    }

    private static List<Container> concat(List<Container> a, List<Container> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
