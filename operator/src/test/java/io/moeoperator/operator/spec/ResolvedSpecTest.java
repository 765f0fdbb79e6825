package io.moeoperator.operator.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moeoperator.operator.Deployments;
import io.moeoperator.operator.OperatorConfig;
import io.moeoperator.operator.api.Device;
import io.moeoperator.operator.api.SchedulingSpec.GroupSpread;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ResolvedSpecTest {

    @Test
    void defaults() throws Exception {
        ResolvedSpec spec = Deployments.resolve("model: {uri: 'synthetic://'}");
        assertEquals(1, spec.replicas());
        assertEquals(1, spec.expertParallelism());
        assertEquals(Device.CPU, spec.device());
        assertEquals(OperatorConfig.DEFAULT_RUNTIME_IMAGE, spec.image());
        assertEquals(0, spec.gpus());
        assertEquals("1", spec.cpu());
        assertEquals("2Gi", spec.memory());
        assertEquals(8000, spec.port());
        assertEquals(1800, spec.startupTimeoutSeconds());
        assertEquals(GroupSpread.Preferred, spec.groupSpread());
        assertNull(spec.format(), "the runtime detects it");
        assertEquals("synthetic", spec.servedModelName());
        assertEquals(16, spec.shardPlan().experts());
        assertNull(spec.maxNumSeqs());
        assertNull(spec.kvCacheBytes(), "the runtime derives it from the pod's memory");
        assertEquals(io.moeoperator.operator.api.UpdateStrategySpec.Type.Surge, spec.updateStrategy());
    }

    @Test
    void kvCacheMemoryIsPassedInBytes() throws Exception {
        assertEquals(3L << 30, Deployments.resolve("{model: {uri: 'synthetic://'}, resources: {memory: 8Gi}, serving: {kvCacheMemory: 3Gi}}")
                .kvCacheBytes());
        assertEquals(500_000_000L, Deployments.resolve("{model: {uri: 'synthetic://'}, serving: {kvCacheMemory: 500M}}").kvCacheBytes());
    }

    @Test
    void specsTheRuntimeCannotServeAreRefused() {
        // This runtime serves GGUF files and Hugging Face checkpoints on CPUs; the refusal says what to do instead.
        var cuda = assertThrows(InvalidSpecException.class, () -> Deployments.resolve("{model: {uri: 'synthetic://'}, device: cuda}"));
        assertTrue(cuda.getMessage().contains("spec.device: cuda is not served by runtime " + OperatorConfig.VERSION), cuda.getMessage());
        var older = OperatorConfig.defaults().withRuntime(new RuntimeCapabilities("0.1.0", java.util.Set.of("gguf"),
                java.util.Set.of(Device.CPU), false));
        var safetensors = assertThrows(InvalidSpecException.class,
                () -> Deployments.resolve("{model: {uri: 'hf://deepseek-ai/DeepSeek-V2-Lite-Chat', format: safetensors}}", older));
        assertTrue(safetensors.getMessage().contains("spec.model.format: safetensors is not served by runtime 0.1.0"), safetensors.getMessage());
        var noFile = assertThrows(InvalidSpecException.class, () -> Deployments.resolve("{model: {uri: 'hf://org/repo'}}", older));
        assertTrue(noFile.getMessage().contains("spec.model.file: required for hf:// models"), noFile.getMessage());
    }

    @Test
    void huggingFaceCheckpointsAreServedWithTheFormatDetected() throws Exception {
        ResolvedSpec spec = Deployments.resolve("{model: {uri: 'hf://deepseek-ai/DeepSeek-V2-Lite-Chat', experts: 64}, expertParallelism: 2}");
        assertNull(spec.format());
        assertNull(spec.modelFile(), "the whole repository; each rank downloads what it needs");
        assertEquals("safetensors", Deployments.resolve("{model: {uri: 'hf://a/b', format: safetensors}}").format());
    }

    @Test
    void longNamesAreRefusedBeforeAnythingIsNamedAfterThem() {
        var moe = Deployments.fromYaml("a".repeat(41), "ns", "model: {uri: 'synthetic://'}");
        var e = assertThrows(InvalidSpecException.class, () -> ResolvedSpec.resolve(moe, OperatorConfig.defaults()));
        assertTrue(e.getMessage().contains("metadata.name: at most 40 characters"), e.getMessage());
    }

    @Test
    void cudaDefaultsToOneGpuAndTheCudaImage() throws Exception {
        ResolvedSpec spec = Deployments.resolve("""
                model: {uri: 'hf://deepseek-ai/DeepSeek-V2-Lite-Chat', experts: 64}
                device: cuda
                expertParallelism: 2
                """, Deployments.NEXT_RUNTIME);
        assertEquals(1, spec.gpus());
        assertEquals(OperatorConfig.DEFAULT_CUDA_RUNTIME_IMAGE, spec.image());
        assertEquals("0-31,32-63", spec.shardPlan().compact());
        assertEquals("DeepSeek-V2-Lite-Chat", spec.servedModelName());
    }

    @Test
    void unknownExpertCountStillPlansShares() throws Exception {
        ResolvedSpec spec = Deployments.resolve("{model: {uri: 'file:///models/m.gguf'}, expertParallelism: 3}");
        assertNull(spec.shardPlan().experts());
        assertEquals("1/3", spec.shardPlan().expertsPerPod());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{model: {uri: 'synthetic://?experts=8'}, expertParallelism: 16}|spec.expertParallelism: 16 pods cannot share 8 routed experts",
            "{model: {uri: 'synthetic://?experts=8'}, expertParallelism: 3}|spec.expertParallelism: 3 does not divide the 8 routed experts",
            "{model: {uri: 'hf://a/b', experts: 64}, expertParallelism: 0}|spec.expertParallelism: must be at least 1",
            "{model: {uri: 'synthetic://'}, replicas: -1}|spec.replicas: must not be negative",
            "{model: {uri: 's3://x/y'}}|spec.model.uri: 's3://x/y' has an unknown scheme",
            "{replicas: 1}|spec.model.uri: is required",
            "{model: {uri: 'synthetic://?experts=8', experts: 16}}|spec.model.experts: 16 disagrees with the URI's experts=8",
            "{model: {uri: 'synthetic://', format: onnx}}|spec.model.format: 'onnx' is not one of",
            "{model: {uri: 'file:///m.gguf', file: 'x.gguf'}}|spec.model.file: only applies to hf://",
            "{model: {uri: 'synthetic://'}, resources: {gpus: 2}}|spec.resources.gpus: 2 GPUs requested but spec.device is cpu",
            "{model: {uri: 'synthetic://'}, device: cuda, resources: {gpus: 0}}|spec.resources.gpus: must be at least 1 when spec.device is cuda",
            "{model: {uri: 'synthetic://'}, resources: {memory: lots}}|spec.resources.memory: 'lots' is not a quantity",
            "{model: {uri: 'synthetic://'}, resources: {cpu: '0'}}|spec.resources.cpu: must be positive",
            "{model: {uri: 'synthetic://'}, resources: {memory: 1Gi}, serving: {kvCacheMemory: 1Gi}}|spec.serving.kvCacheMemory: 1Gi does not fit in resources.memory 1Gi",
            "{model: {uri: 'synthetic://'}, serving: {kvCacheMemory: plenty}}|spec.serving.kvCacheMemory: 'plenty' is not a quantity",
            "{model: {uri: 'synthetic://'}, serving: {kvCacheMemory: 1400Mi}}|spec.serving.kvCacheMemory: 1400Mi does not fit in resources.memory 2Gi, which leaves 1328Mi",
            "{model: {uri: 'synthetic://'}, resources: {memory: 400Mi}}|spec.resources.memory: 400Mi leaves nothing for the model and its KV cache after the runtime's heap (256Mi) and JVM overhead (200Mi)",
            "{model: {uri: 'synthetic://'}, serving: {port: 29500}}|spec.serving.port: 29500 is the expert-exchange port",
            "{model: {uri: 'synthetic://'}, serving: {maxNumSeqs: 0}}|spec.serving.maxNumSeqs: must be at least 1",
            "{model: {uri: 'synthetic://'}, serving: {startupTimeoutSeconds: 5}}|spec.serving.startupTimeoutSeconds: must be at least 10",
            "{model: {uri: 'synthetic://'}, imagePullPolicy: Sometimes}|spec.imagePullPolicy: 'Sometimes' is not one of",
            "{model: {uri: 'synthetic://'}, modelCache: {emptyDir: {}, hostPath: {path: /m}}}|spec.modelCache: set at most one",
            "{model: {uri: 'synthetic://'}, modelCache: {hostPath: {path: m}}}|spec.modelCache.hostPath.path: must be an absolute path",
            "{model: {uri: 'synthetic://'}, env: [{name: MOE_EP_SIZE, value: '4'}]}|spec.env[0].name: MOE_EP_SIZE is set by the operator",
            "{model: {uri: 'hf://a/b'}, hfTokenSecret: {name: hf}}|spec.hfTokenSecret: needs both name and key",
            "{model: {uri: 'synthetic://'}, autoscaling: {metrics: [{type: RequestsWaiting, target: 2}]}}|spec.autoscaling.maxReplicas: is required",
            "{model: {uri: 'synthetic://'}, autoscaling: {minReplicas: 3, maxReplicas: 2, metrics: [{type: RequestsWaiting, target: 2}]}}|spec.autoscaling.maxReplicas: 2 is below minReplicas 3",
            "{model: {uri: 'synthetic://'}, autoscaling: {maxReplicas: 2}}|spec.autoscaling.metrics: name at least one metric",
            "{model: {uri: 'synthetic://'}, autoscaling: {maxReplicas: 2, metrics: [{type: Custom, target: 2}]}}|spec.autoscaling.metrics[0].query: a Custom metric needs a PromQL query",
            "{model: {uri: 'synthetic://'}, autoscaling: {maxReplicas: 2, metrics: [{type: RequestsWaiting, target: 0}]}}|spec.autoscaling.metrics[0].target: must be a positive number",
            "{model: {uri: 'synthetic://'}, autoscaling: {maxReplicas: 2, metrics: [{type: KvCacheUsage, target: 80}]}}|spec.autoscaling.metrics[0].target: KvCacheUsage is a ratio in 0..1",
            "{model: {uri: 'synthetic://'}, autoscaling: {maxReplicas: 2, metrics: [{type: RequestsWaiting, target: 1, query: 'up'}]}}|spec.autoscaling.metrics[0].query: only Custom metrics take a query",
            "{model: {uri: 'synthetic://'}, autoscaling: {maxReplicas: 2, prometheusUrl: 'prometheus:9090', metrics: [{type: RequestsWaiting, target: 1}]}}|spec.autoscaling.prometheusUrl: 'prometheus:9090' is not an http(s) URL",
            "{model: {uri: 'synthetic://'}, autoscaling: {maxReplicas: 2, metrics: [{type: RequestsWaiting, target: 1}], behavior: {tolerance: 1.5}}}|spec.autoscaling.behavior.tolerance: must be in [0, 1)",
    })
    void invalidSpecsNameTheField(String yaml, String expected) {
        var e = assertThrows(InvalidSpecException.class, () -> Deployments.resolve(yaml));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void autoscalingDefaults() throws Exception {
        ResolvedSpec spec = Deployments.resolve("{model: {uri: 'synthetic://'}, autoscaling: {maxReplicas: 4, metrics: [{type: RequestsWaiting, target: 4}]}}");
        var a = spec.autoscaling();
        assertEquals(OperatorConfig.DEFAULT_PROMETHEUS_URL, a.prometheusUrl().toString());
        assertEquals(15, a.pollInterval().toSeconds());
        assertEquals(1, a.policy().minReplicas());
        assertEquals(300, a.policy().scaleDownStabilization().toSeconds());
        assertEquals(0, a.policy().scaleUpStabilization().toSeconds());
        assertEquals(0.1, a.policy().tolerance());
        assertNull(Deployments.resolve("{model: {uri: 'synthetic://'}, autoscaling: {enabled: false}}").autoscaling(),
                "disabled: not even checked");
        assertNull(Deployments.resolve("{model: {uri: 'synthetic://'}}").autoscaling());
    }

    @Test
    void unevenShardingAllowsANonDivisor() throws Exception {
        ResolvedSpec spec = Deployments.resolve("{model: {uri: 'synthetic://?experts=8'}, expertParallelism: 3, expertSharding: Uneven}");
        assertEquals("0-2,3-5,6-7", spec.shardPlan().compact());
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        var e = assertThrows(InvalidSpecException.class,
                () -> Deployments.resolve("{model: {uri: 'synthetic://'}, replicas: -2, serving: {port: 0}}"));
        assertEquals(2, e.problems().size(), e.problems().toString());
    }
}
